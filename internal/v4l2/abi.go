//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"encoding/binary"
	"unsafe"
)

// Capability is struct v4l2_capability (104 bytes).
type Capability struct {
	Driver       [16]byte
	Card         [32]byte
	BusInfo      [32]byte
	Version      uint32
	Capabilities uint32
	DeviceCaps   uint32
	Reserved     [3]uint32
}

// Caps returns the capabilities of the opened node: DeviceCaps when the
// driver fills it, else the capabilities of the whole device.
func (c *Capability) Caps() uint32 {
	if c.Capabilities&CapDeviceCaps != 0 {
		return c.DeviceCaps
	}
	return c.Capabilities
}

// FmtDesc is struct v4l2_fmtdesc (64 bytes).
type FmtDesc struct {
	Index       uint32
	Type        uint32
	Flags       uint32
	Description [32]byte
	PixelFormat uint32
	MbusCode    uint32
	Reserved    [3]uint32
}

// PixFormat is struct v4l2_pix_format (48 bytes), the single-planar member
// of Format's union.
type PixFormat struct {
	Width        uint32
	Height       uint32
	PixelFormat  uint32
	Field        uint32
	BytesPerLine uint32
	SizeImage    uint32
	Colorspace   uint32
	Priv         uint32
	Flags        uint32
	YCbCrEnc     uint32
	Quantization uint32
	XferFunc     uint32
}

// PlanePixFormat is struct v4l2_plane_pix_format (20 bytes, packed).
type PlanePixFormat struct {
	SizeImage    uint32
	BytesPerLine uint32
	Reserved     [6]uint16
}

// PixFormatMPlane is struct v4l2_pix_format_mplane (192 bytes, packed), the
// multi-planar member of Format's union.
type PixFormatMPlane struct {
	Width        uint32
	Height       uint32
	PixelFormat  uint32
	Field        uint32
	Colorspace   uint32
	PlaneFmt     [8]PlanePixFormat
	NumPlanes    uint8
	Flags        uint8
	YCbCrEnc     uint8
	Quantization uint8
	XferFunc     uint8
	Reserved     [7]uint8
}

// Format is struct v4l2_format (208 bytes on 64-bit: the union holds
// pointers, so it is 8-byte aligned after the 4-byte type).
type Format struct {
	Type uint32
	_    uint32
	raw  [200]byte
}

// Pix is the single-planar view of the union.
func (f *Format) Pix() *PixFormat { return (*PixFormat)(unsafe.Pointer(&f.raw[0])) }

// MPlane is the multi-planar view of the union.
func (f *Format) MPlane() *PixFormatMPlane {
	return (*PixFormatMPlane)(unsafe.Pointer(&f.raw[0]))
}

// RequestBuffers is struct v4l2_requestbuffers (20 bytes).
type RequestBuffers struct {
	Count        uint32
	Type         uint32
	Memory       uint32
	Capabilities uint32
	Flags        uint8
	Reserved     [3]uint8
}

// Timeval is the 64-bit struct timeval inside v4l2_buffer.
type Timeval struct {
	Sec  int64
	Usec int64
}

// Nanoseconds returns the time in nanoseconds.
func (t Timeval) Nanoseconds() int64 { return t.Sec*1e9 + t.Usec*1e3 }

// Timecode is struct v4l2_timecode (16 bytes).
type Timecode struct {
	Type     uint32
	Flags    uint32
	Frames   uint8
	Seconds  uint8
	Minutes  uint8
	Hours    uint8
	Userbits [4]uint8
}

// Buffer is struct v4l2_buffer (88 bytes on 64-bit). M is the union m:
// the mmap offset (single-planar MMAP), a userptr, a pointer to the
// []Plane array (multi-planar) or a dma-buf fd.
type Buffer struct {
	Index     uint32
	Type      uint32
	BytesUsed uint32
	Flags     uint32
	Field     uint32
	_         uint32
	Timestamp Timeval
	Timecode  Timecode
	Sequence  uint32
	Memory    uint32
	M         uint64
	Length    uint32
	Reserved2 uint32
	RequestFD int32
	_         uint32
}

// Offset is M as the mmap offset of a single-planar MMAP buffer.
func (b *Buffer) Offset() uint32 { return uint32(b.M) }

// SetPlanes points M at planes (multi-planar buffers) and sets Length to
// their number. planes must stay pinned while the kernel uses it.
func (b *Buffer) SetPlanes(planes []Plane) {
	b.M = uint64(uintptr(unsafe.Pointer(&planes[0])))
	b.Length = uint32(len(planes))
}

// Plane is struct v4l2_plane (64 bytes).
type Plane struct {
	BytesUsed  uint32
	Length     uint32
	M          uint64 // mem_offset (MMAP), userptr or fd
	DataOffset uint32
	Reserved   [11]uint32
}

// ExportBuffer is struct v4l2_exportbuffer (64 bytes).
type ExportBuffer struct {
	Type     uint32
	Index    uint32
	Plane    uint32
	Flags    uint32
	FD       int32
	Reserved [11]uint32
}

// Fract is struct v4l2_fract.
type Fract struct {
	Numerator   uint32
	Denominator uint32
}

// CaptureParm is struct v4l2_captureparm (40 bytes).
type CaptureParm struct {
	Capability   uint32
	CaptureMode  uint32
	TimePerFrame Fract
	ExtendedMode uint32
	ReadBuffers  uint32
	Reserved     [4]uint32
}

// StreamParm is struct v4l2_streamparm (204 bytes).
type StreamParm struct {
	Type    uint32
	Capture CaptureParm
	_       [160]byte
}

// FrmSizeEnum is struct v4l2_frmsizeenum (44 bytes). For a discrete size
// only MinWidth and MaxWidth's positions hold width and height: use
// Discrete.
type FrmSizeEnum struct {
	Index       uint32
	PixelFormat uint32
	Type        uint32
	// the union: discrete {width, height} or stepwise {min_width,
	// max_width, step_width, min_height, max_height, step_height}
	U        [6]uint32
	Reserved [2]uint32
}

// Discrete returns the size of a FrmTypeDiscrete entry.
func (f *FrmSizeEnum) Discrete() (w, h uint32) { return f.U[0], f.U[1] }

// Stepwise returns the range of a stepwise or continuous entry.
func (f *FrmSizeEnum) Stepwise() (minW, maxW, stepW, minH, maxH, stepH uint32) {
	return f.U[0], f.U[1], f.U[2], f.U[3], f.U[4], f.U[5]
}

// FrmIvalEnum is struct v4l2_frmivalenum (52 bytes).
type FrmIvalEnum struct {
	Index       uint32
	PixelFormat uint32
	Width       uint32
	Height      uint32
	Type        uint32
	// the union: discrete fract, or stepwise {min, max, step} fracts
	U        [3]Fract
	Reserved [2]uint32
}

// Control is struct v4l2_control (8 bytes).
type Control struct {
	ID    uint32
	Value int32
}

// QueryExtCtrl is struct v4l2_query_ext_ctrl (232 bytes).
type QueryExtCtrl struct {
	ID           uint32
	Type         uint32
	Name         [32]byte
	Minimum      int64
	Maximum      int64
	Step         uint64
	DefaultValue int64
	Flags        uint32
	ElemSize     uint32
	Elems        uint32
	NrOfDims     uint32
	Dims         [4]uint32
	Reserved     [32]uint32
}

// QueryMenu is struct v4l2_querymenu (44 bytes, packed): the union holds
// a name (menus) or an int64 value (integer menus).
type QueryMenu struct {
	ID       uint32
	Index    uint32
	U        [32]byte
	Reserved uint32
}

// Name is the union as a menu item name.
func (q *QueryMenu) Name() string { return CString(q.U[:]) }

// Value is the union as an integer menu item value.
func (q *QueryMenu) Value() int64 { return int64(binary.LittleEndian.Uint64(q.U[:8])) }

// ExtControl is struct v4l2_ext_control (20 bytes, packed). V is the
// union: value (int32), value64 (int64) or a pointer for payloads.
type ExtControl struct {
	ID        uint32
	Size      uint32
	Reserved2 uint32
	V         [8]byte
}

// Value32 is the union as the 32-bit value.
func (c *ExtControl) Value32() int32 { return int32(binary.LittleEndian.Uint32(c.V[:4])) }

// Value64 is the union as value64.
func (c *ExtControl) Value64() int64 { return int64(binary.LittleEndian.Uint64(c.V[:])) }

// SetValue32 sets the union's 32-bit value.
func (c *ExtControl) SetValue32(v int32) {
	c.V = [8]byte{}
	binary.LittleEndian.PutUint32(c.V[:4], uint32(v))
}

// SetValue64 sets value64.
func (c *ExtControl) SetValue64(v int64) { binary.LittleEndian.PutUint64(c.V[:], uint64(v)) }

// ExtControls is struct v4l2_ext_controls (32 bytes on 64-bit).
type ExtControls struct {
	Which     uint32
	Count     uint32
	ErrorIdx  uint32
	RequestFD int32
	Reserved  uint32
	_         uint32
	Controls  uint64 // *ExtControl
}

// ioctl request numbers: dir<<30 | size<<16 | 'V'<<8 | nr.
const (
	VIDIOC_QUERYCAP            = iocR | unsafe.Sizeof(Capability{})<<16 | 'V'<<8 | 0
	VIDIOC_ENUM_FMT            = iocRW | unsafe.Sizeof(FmtDesc{})<<16 | 'V'<<8 | 2
	VIDIOC_G_FMT               = iocRW | unsafe.Sizeof(Format{})<<16 | 'V'<<8 | 4
	VIDIOC_S_FMT               = iocRW | unsafe.Sizeof(Format{})<<16 | 'V'<<8 | 5
	VIDIOC_REQBUFS             = iocRW | unsafe.Sizeof(RequestBuffers{})<<16 | 'V'<<8 | 8
	VIDIOC_QUERYBUF            = iocRW | unsafe.Sizeof(Buffer{})<<16 | 'V'<<8 | 9
	VIDIOC_QBUF                = iocRW | unsafe.Sizeof(Buffer{})<<16 | 'V'<<8 | 15
	VIDIOC_EXPBUF              = iocRW | unsafe.Sizeof(ExportBuffer{})<<16 | 'V'<<8 | 16
	VIDIOC_DQBUF               = iocRW | unsafe.Sizeof(Buffer{})<<16 | 'V'<<8 | 17
	VIDIOC_STREAMON            = iocW | 4<<16 | 'V'<<8 | 18
	VIDIOC_STREAMOFF           = iocW | 4<<16 | 'V'<<8 | 19
	VIDIOC_G_PARM              = iocRW | unsafe.Sizeof(StreamParm{})<<16 | 'V'<<8 | 21
	VIDIOC_S_PARM              = iocRW | unsafe.Sizeof(StreamParm{})<<16 | 'V'<<8 | 22
	VIDIOC_G_CTRL              = iocRW | unsafe.Sizeof(Control{})<<16 | 'V'<<8 | 27
	VIDIOC_S_CTRL              = iocRW | unsafe.Sizeof(Control{})<<16 | 'V'<<8 | 28
	VIDIOC_QUERYMENU           = iocRW | unsafe.Sizeof(QueryMenu{})<<16 | 'V'<<8 | 37
	VIDIOC_G_INPUT             = iocR | 4<<16 | 'V'<<8 | 38
	VIDIOC_S_INPUT             = iocRW | 4<<16 | 'V'<<8 | 39
	VIDIOC_G_EXT_CTRLS         = iocRW | unsafe.Sizeof(ExtControls{})<<16 | 'V'<<8 | 71
	VIDIOC_S_EXT_CTRLS         = iocRW | unsafe.Sizeof(ExtControls{})<<16 | 'V'<<8 | 72
	VIDIOC_ENUM_FRAMESIZES     = iocRW | unsafe.Sizeof(FrmSizeEnum{})<<16 | 'V'<<8 | 74
	VIDIOC_ENUM_FRAMEINTERVALS = iocRW | unsafe.Sizeof(FrmIvalEnum{})<<16 | 'V'<<8 | 75
	VIDIOC_QUERY_EXT_CTRL      = iocRW | unsafe.Sizeof(QueryExtCtrl{})<<16 | 'V'<<8 | 103
)

// CString returns the NUL-terminated string at the start of b.
func CString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
