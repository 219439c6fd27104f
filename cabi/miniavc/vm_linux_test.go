//go:build cgo

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/internal/vmtest"
)

// vmDir holds what scripts/test.d/v4l2.sh builds on the host before it runs
// this package in the VM, which has no compiler: libminiav_c.so and
// testdata/client.c linked against it (rpath $ORIGIN). The VM harness copies
// testdata/ into the guest.
const vmDir = "testdata/vm"

// TestVMCClientVivid runs the MiniAV program against the kernel's vivid
// driver in the VM (scripts/vm): both nodes are enumerated; on the
// single-planar node YUY2 640x480 and on the multi-planar one NV12 640x480
// are configured from the format list and 12 buffers captured through the
// callback, each checked on another thread (the 75% colour bars at the
// centre of every bar on every seventh row, strides, plane sizes,
// timestamps increasing and in the past, every plane's dmabuf_fd a
// DMA-BUF whose mapping holds the plane's bytes) and released there; then
// stop (no callback after it) and destroy.
func TestVMCClientVivid(t *testing.T) {
	vmtest.Require(t)
	bin := filepath.Join(vmDir, "client")
	for _, f := range []string{bin, filepath.Join(vmDir, "libminiav_c.so")} {
		if _, err := os.Stat(f); err != nil {
			testenv.Missing(t, "%v: scripts/test.d/v4l2.sh builds it on the host before running this package in the VM", err)
			return
		}
	}
	nodes := []string{"/dev/video0", "/dev/video1"}
	for _, n := range nodes {
		vmtest.SetCtrl(t, n, vmtest.CtrlTestPattern, 0) // 75% colour bars
		vmtest.SetCtrl(t, n, vmtest.CtrlOSDMode, 2)     // no text over the bars
		// Start of exposure: a timestamp never later than the dequeue.
		vmtest.SetCtrl(t, n, vmtest.CtrlTimestampSrc, 1)
		t.Cleanup(func() {
			vmtest.SetCtrl(t, n, vmtest.CtrlOSDMode, 0)
			vmtest.SetCtrl(t, n, vmtest.CtrlTimestampSrc, 0)
		})
	}
	var bars []string
	for _, b := range vmtest.Bars75 {
		bars = append(bars, fmt.Sprintf("%d,%d,%d", b[0], b[1], b[2]))
	}
	env := patternEnv() // MINIAV_TEST_RGB, which this mode does not use
	env[0] = "MINIAV_TEST_BARS=" + strings.Join(bars, " ")
	cmd := exec.Command(bin, append([]string{"v4l2"}, nodes...)...)
	cmd.Env = append(os.Environ(), env...)
	out := run(t, cmd)
	passed(t, out)
	for _, n := range nodes {
		if !strings.Contains(out, "v4l2:"+n+": 12 buffers 640x480") {
			t.Errorf("no capture summary for %s", n)
		}
	}
}
