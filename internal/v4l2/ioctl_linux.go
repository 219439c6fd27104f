//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Ioctl calls ioctl(fd, req, arg), retrying on EINTR. arg must point to
// memory that stays put for the call (a Go pointer converted in the call
// expression does); pointers inside *arg must be pinned by the caller.
func Ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return e
	}
}

// QueryCap fills c with VIDIOC_QUERYCAP.
func QueryCap(fd int, c *Capability) error {
	return Ioctl(fd, VIDIOC_QUERYCAP, unsafe.Pointer(c))
}

// EnumFmt fills d (Index and Type set by the caller) with VIDIOC_ENUM_FMT.
func EnumFmt(fd int, d *FmtDesc) error { return Ioctl(fd, VIDIOC_ENUM_FMT, unsafe.Pointer(d)) }

// GetFmt fills f (Type set by the caller) with VIDIOC_G_FMT.
func GetFmt(fd int, f *Format) error { return Ioctl(fd, VIDIOC_G_FMT, unsafe.Pointer(f)) }

// SetFmt sets f with VIDIOC_S_FMT; the driver writes back what it chose.
func SetFmt(fd int, f *Format) error { return Ioctl(fd, VIDIOC_S_FMT, unsafe.Pointer(f)) }

// ReqBufs allocates (or with Count 0 frees) buffers with VIDIOC_REQBUFS.
func ReqBufs(fd int, r *RequestBuffers) error {
	return Ioctl(fd, VIDIOC_REQBUFS, unsafe.Pointer(r))
}

// QueryBuf fills b (Index, Type, Memory, and for multi-planar buffers the
// planes pointer, set by the caller) with VIDIOC_QUERYBUF.
func QueryBuf(fd int, b *Buffer) error { return Ioctl(fd, VIDIOC_QUERYBUF, unsafe.Pointer(b)) }

// QBuf queues b with VIDIOC_QBUF.
func QBuf(fd int, b *Buffer) error { return Ioctl(fd, VIDIOC_QBUF, unsafe.Pointer(b)) }

// DQBuf dequeues a filled buffer into b with VIDIOC_DQBUF.
func DQBuf(fd int, b *Buffer) error { return Ioctl(fd, VIDIOC_DQBUF, unsafe.Pointer(b)) }

// ExpBuf exports a buffer plane as a DMA-BUF fd with VIDIOC_EXPBUF.
func ExpBuf(fd int, e *ExportBuffer) error { return Ioctl(fd, VIDIOC_EXPBUF, unsafe.Pointer(e)) }

// StreamOn starts streaming buffers of type typ.
func StreamOn(fd int, typ uint32) error {
	return Ioctl(fd, VIDIOC_STREAMON, unsafe.Pointer(&typ))
}

// StreamOff stops streaming and takes every buffer back from the driver.
func StreamOff(fd int, typ uint32) error {
	return Ioctl(fd, VIDIOC_STREAMOFF, unsafe.Pointer(&typ))
}

// GetParm fills p (Type set by the caller) with VIDIOC_G_PARM.
func GetParm(fd int, p *StreamParm) error { return Ioctl(fd, VIDIOC_G_PARM, unsafe.Pointer(p)) }

// SetParm sets p with VIDIOC_S_PARM; the driver writes back what it chose.
func SetParm(fd int, p *StreamParm) error { return Ioctl(fd, VIDIOC_S_PARM, unsafe.Pointer(p)) }

// EnumFrameSizes fills f with VIDIOC_ENUM_FRAMESIZES.
func EnumFrameSizes(fd int, f *FrmSizeEnum) error {
	return Ioctl(fd, VIDIOC_ENUM_FRAMESIZES, unsafe.Pointer(f))
}

// EnumFrameIntervals fills f with VIDIOC_ENUM_FRAMEINTERVALS.
func EnumFrameIntervals(fd int, f *FrmIvalEnum) error {
	return Ioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, unsafe.Pointer(f))
}

// QueryControl fills q with VIDIOC_QUERY_EXT_CTRL.
func QueryControl(fd int, q *QueryExtCtrl) error {
	return Ioctl(fd, VIDIOC_QUERY_EXT_CTRL, unsafe.Pointer(q))
}

// QueryMenuItem fills q with VIDIOC_QUERYMENU.
func QueryMenuItem(fd int, q *QueryMenu) error {
	return Ioctl(fd, VIDIOC_QUERYMENU, unsafe.Pointer(q))
}

// GetCtrl reads a control with VIDIOC_G_CTRL.
func GetCtrl(fd int, c *Control) error { return Ioctl(fd, VIDIOC_G_CTRL, unsafe.Pointer(c)) }

// SetCtrl writes a control with VIDIOC_S_CTRL.
func SetCtrl(fd int, c *Control) error { return Ioctl(fd, VIDIOC_S_CTRL, unsafe.Pointer(c)) }

// GetExtCtrl reads one control's current value with VIDIOC_G_EXT_CTRLS.
func GetExtCtrl(fd int, c *ExtControl) error { return extCtrl(fd, VIDIOC_G_EXT_CTRLS, c) }

// SetExtCtrl writes one control with VIDIOC_S_EXT_CTRLS.
func SetExtCtrl(fd int, c *ExtControl) error { return extCtrl(fd, VIDIOC_S_EXT_CTRLS, c) }

func extCtrl(fd int, req uintptr, c *ExtControl) error {
	var p runtime.Pinner // c is referenced from inside cs
	p.Pin(c)
	defer p.Unpin()
	cs := ExtControls{Which: CtrlWhichCurVal, Count: 1, Controls: uint64(uintptr(unsafe.Pointer(c)))}
	return Ioctl(fd, req, unsafe.Pointer(&cs))
}

// GetInput returns the index of the current video input.
func GetInput(fd int) (int, error) {
	var i int32
	err := Ioctl(fd, VIDIOC_G_INPUT, unsafe.Pointer(&i))
	return int(i), err
}

// SetInput selects video input i.
func SetInput(fd int, i int) error {
	v := int32(i)
	return Ioctl(fd, VIDIOC_S_INPUT, unsafe.Pointer(&v))
}
