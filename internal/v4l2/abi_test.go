//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"testing"
	"unsafe"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The sizes and offsets of the kernel ABI on 64-bit Linux
// (<linux/videodev2.h>, confirmed with pahole and real ioctls on vivid).
func TestStructSizes(t *testing.T) {
	for _, c := range []struct {
		name string
		got  uintptr
		want uintptr
	}{
		{"v4l2_capability", unsafe.Sizeof(Capability{}), 104},
		{"v4l2_fmtdesc", unsafe.Sizeof(FmtDesc{}), 64},
		{"v4l2_pix_format", unsafe.Sizeof(PixFormat{}), 48},
		{"v4l2_plane_pix_format", unsafe.Sizeof(PlanePixFormat{}), 20},
		{"v4l2_pix_format_mplane", unsafe.Sizeof(PixFormatMPlane{}), 192},
		{"v4l2_format", unsafe.Sizeof(Format{}), 208},
		{"v4l2_requestbuffers", unsafe.Sizeof(RequestBuffers{}), 20},
		{"v4l2_timecode", unsafe.Sizeof(Timecode{}), 16},
		{"v4l2_buffer", unsafe.Sizeof(Buffer{}), 88},
		{"v4l2_plane", unsafe.Sizeof(Plane{}), 64},
		{"v4l2_exportbuffer", unsafe.Sizeof(ExportBuffer{}), 64},
		{"v4l2_captureparm", unsafe.Sizeof(CaptureParm{}), 40},
		{"v4l2_streamparm", unsafe.Sizeof(StreamParm{}), 204},
		{"v4l2_frmsizeenum", unsafe.Sizeof(FrmSizeEnum{}), 44},
		{"v4l2_frmivalenum", unsafe.Sizeof(FrmIvalEnum{}), 52},
		{"v4l2_control", unsafe.Sizeof(Control{}), 8},
		{"v4l2_query_ext_ctrl", unsafe.Sizeof(QueryExtCtrl{}), 232},
		{"v4l2_querymenu", unsafe.Sizeof(QueryMenu{}), 44},
		{"v4l2_ext_control", unsafe.Sizeof(ExtControl{}), 20},
		{"v4l2_ext_controls", unsafe.Sizeof(ExtControls{}), 32},
	} {
		if c.got != c.want {
			t.Errorf("sizeof(%s) = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestOffsets(t *testing.T) {
	var f Format
	var b Buffer
	var p Plane
	var q QueryExtCtrl
	var mp PixFormatMPlane
	var cs ExtControls
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"v4l2_format.fmt", unsafe.Offsetof(f.raw), 8},
		{"v4l2_buffer.timestamp", unsafe.Offsetof(b.Timestamp), 24},
		{"v4l2_buffer.timecode", unsafe.Offsetof(b.Timecode), 40},
		{"v4l2_buffer.sequence", unsafe.Offsetof(b.Sequence), 56},
		{"v4l2_buffer.memory", unsafe.Offsetof(b.Memory), 60},
		{"v4l2_buffer.m", unsafe.Offsetof(b.M), 64},
		{"v4l2_buffer.length", unsafe.Offsetof(b.Length), 72},
		{"v4l2_buffer.request_fd", unsafe.Offsetof(b.RequestFD), 80},
		{"v4l2_plane.m", unsafe.Offsetof(p.M), 8},
		{"v4l2_plane.data_offset", unsafe.Offsetof(p.DataOffset), 16},
		{"v4l2_query_ext_ctrl.minimum", unsafe.Offsetof(q.Minimum), 40},
		{"v4l2_query_ext_ctrl.flags", unsafe.Offsetof(q.Flags), 72},
		{"v4l2_query_ext_ctrl.dims", unsafe.Offsetof(q.Dims), 88},
		{"v4l2_pix_format_mplane.plane_fmt", unsafe.Offsetof(mp.PlaneFmt), 20},
		{"v4l2_pix_format_mplane.num_planes", unsafe.Offsetof(mp.NumPlanes), 180},
		{"v4l2_ext_controls.controls", unsafe.Offsetof(cs.Controls), 24},
	} {
		if c.got != c.want {
			t.Errorf("offsetof(%s) = %d, want %d", c.name, c.got, c.want)
		}
	}
}

// Request numbers as the kernel headers define them on 64-bit.
func TestIoctlNumbers(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"VIDIOC_QUERYCAP", VIDIOC_QUERYCAP, 0x80685600},
		{"VIDIOC_ENUM_FMT", VIDIOC_ENUM_FMT, 0xc0405602},
		{"VIDIOC_G_FMT", VIDIOC_G_FMT, 0xc0d05604},
		{"VIDIOC_S_FMT", VIDIOC_S_FMT, 0xc0d05605},
		{"VIDIOC_REQBUFS", VIDIOC_REQBUFS, 0xc0145608},
		{"VIDIOC_QUERYBUF", VIDIOC_QUERYBUF, 0xc0585609},
		{"VIDIOC_QBUF", VIDIOC_QBUF, 0xc058560f},
		{"VIDIOC_EXPBUF", VIDIOC_EXPBUF, 0xc0405610},
		{"VIDIOC_DQBUF", VIDIOC_DQBUF, 0xc0585611},
		{"VIDIOC_STREAMON", VIDIOC_STREAMON, 0x40045612},
		{"VIDIOC_STREAMOFF", VIDIOC_STREAMOFF, 0x40045613},
		{"VIDIOC_G_PARM", VIDIOC_G_PARM, 0xc0cc5615},
		{"VIDIOC_S_PARM", VIDIOC_S_PARM, 0xc0cc5616},
		{"VIDIOC_G_CTRL", VIDIOC_G_CTRL, 0xc008561b},
		{"VIDIOC_S_CTRL", VIDIOC_S_CTRL, 0xc008561c},
		{"VIDIOC_QUERYMENU", VIDIOC_QUERYMENU, 0xc02c5625},
		{"VIDIOC_G_INPUT", VIDIOC_G_INPUT, 0x80045626},
		{"VIDIOC_S_INPUT", VIDIOC_S_INPUT, 0xc0045627},
		{"VIDIOC_G_EXT_CTRLS", VIDIOC_G_EXT_CTRLS, 0xc0205647},
		{"VIDIOC_S_EXT_CTRLS", VIDIOC_S_EXT_CTRLS, 0xc0205648},
		{"VIDIOC_ENUM_FRAMESIZES", VIDIOC_ENUM_FRAMESIZES, 0xc02c564a},
		{"VIDIOC_ENUM_FRAMEINTERVALS", VIDIOC_ENUM_FRAMEINTERVALS, 0xc034564b},
		{"VIDIOC_QUERY_EXT_CTRL", VIDIOC_QUERY_EXT_CTRL, 0xc0e85667},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestUnions(t *testing.T) {
	var c ExtControl
	c.SetValue64(-5)
	if c.Value64() != -5 {
		t.Fatal(c.Value64())
	}
	c.SetValue32(-7)
	if c.Value32() != -7 || c.Value64() != 0xfffffff9 {
		t.Fatal(c.Value32(), c.Value64())
	}
	var m QueryMenu
	copy(m.U[:], "Menu Item 1\x00")
	if m.Name() != "Menu Item 1" {
		t.Fatal(m.Name())
	}
	var f Format
	f.Pix().Width = 640
	f.MPlane().PlaneFmt[1].BytesPerLine = 7
	if f.raw[0] != 0x80 || f.raw[1] != 2 || f.raw[20+20+4] != 7 {
		t.Fatal("union views do not alias the raw bytes")
	}
	if CString([]byte("vivid\x00xx")) != "vivid" || CString([]byte("abc")) != "abc" {
		t.Fatal("CString")
	}
}
