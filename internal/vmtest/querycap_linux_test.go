//go:build amd64 || arm64 || riscv64 || loong64

package vmtest

import (
	"os"
	"testing"

	"github.com/miniav-go/miniav/internal/v4l2"
)

func queryCap(t *testing.T, node string) v4l2.Capability {
	t.Helper()
	f, err := os.OpenFile(node, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c v4l2.Capability
	if err := v4l2.QueryCap(int(f.Fd()), &c); err != nil {
		t.Fatalf("VIDIOC_QUERYCAP %s: %v", node, err)
	}
	return c
}

// TestQueryCap is the harness's smoke test: vivid answers VIDIOC_QUERYCAP on
// both nodes, the first single-planar and the second multi-planar.
func TestQueryCap(t *testing.T) {
	Require(t)
	for _, tc := range []struct {
		node      string
		want, not uint32
	}{
		{SinglePlanarNode, v4l2.CapVideoCapture | v4l2.CapStreaming, v4l2.CapVideoCaptureMPlane},
		{MultiPlanarNode, v4l2.CapVideoCaptureMPlane | v4l2.CapStreaming, v4l2.CapVideoCapture},
	} {
		c := queryCap(t, tc.node)
		if d := v4l2.CString(c.Driver[:]); d != "vivid" {
			t.Errorf("%s: driver %q, want vivid", tc.node, d)
		}
		if c.DeviceCaps&tc.want != tc.want || c.DeviceCaps&tc.not != 0 {
			t.Errorf("%s: device_caps %#x, want %#x set and %#x clear", tc.node, c.DeviceCaps, tc.want, tc.not)
		}
		t.Logf("%s: driver %s card %q bus %q version %d.%d.%d device_caps %#x", tc.node, v4l2.CString(c.Driver[:]),
			v4l2.CString(c.Card[:]), v4l2.CString(c.BusInfo[:]), c.Version>>16, c.Version>>8&0xff, c.Version&0xff, c.DeviceCaps)
	}
}
