package vmtest

import (
	"bytes"
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// v4l2Capability is struct v4l2_capability (104 bytes).
type v4l2Capability struct {
	Driver       [16]byte
	Card         [32]byte
	BusInfo      [32]byte
	Version      uint32
	Capabilities uint32
	DeviceCaps   uint32
	Reserved     [3]uint32
}

const (
	vidiocQuerycap = 2<<30 | 104<<16 | 'V'<<8 | 0 // _IOR('V', 0, struct v4l2_capability)

	capVideoCapture       = 0x00000001
	capVideoCaptureMplane = 0x00001000
	capStreaming          = 0x04000000
)

func queryCap(t *testing.T, node string) v4l2Capability {
	t.Helper()
	f, err := os.OpenFile(node, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var c v4l2Capability
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), vidiocQuerycap, uintptr(unsafe.Pointer(&c))); errno != 0 {
		t.Fatalf("VIDIOC_QUERYCAP %s: %v", node, errno)
	}
	return c
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func TestCapabilitySize(t *testing.T) {
	if s := unsafe.Sizeof(v4l2Capability{}); s != 104 {
		t.Fatalf("sizeof(v4l2_capability) = %d, want 104", s)
	}
}

// TestQueryCap is the harness's smoke test: vivid answers VIDIOC_QUERYCAP on
// both nodes, the first single-planar and the second multi-planar.
func TestQueryCap(t *testing.T) {
	Require(t)
	for _, tc := range []struct {
		node      string
		want, not uint32
	}{
		{SinglePlanarNode, capVideoCapture | capStreaming, capVideoCaptureMplane},
		{MultiPlanarNode, capVideoCaptureMplane | capStreaming, capVideoCapture},
	} {
		c := queryCap(t, tc.node)
		if d := cstr(c.Driver[:]); d != "vivid" {
			t.Errorf("%s: driver %q, want vivid", tc.node, d)
		}
		if c.DeviceCaps&tc.want != tc.want || c.DeviceCaps&tc.not != 0 {
			t.Errorf("%s: device_caps %#x, want %#x set and %#x clear", tc.node, c.DeviceCaps, tc.want, tc.not)
		}
		t.Logf("%s: driver %s card %q bus %q version %d.%d.%d device_caps %#x", tc.node, cstr(c.Driver[:]),
			cstr(c.Card[:]), cstr(c.BusInfo[:]), c.Version>>16, c.Version>>8&0xff, c.Version&0xff, c.DeviceCaps)
	}
}
