package v4l2

// Buffer types (enum v4l2_buf_type).
const (
	BufTypeVideoCapture       = 1
	BufTypeVideoOutput        = 2
	BufTypeVideoCaptureMPlane = 9
)

// Memory types (enum v4l2_memory).
const (
	MemoryMMAP   = 1
	MemoryDMABuf = 4
)

// Field orders (enum v4l2_field).
const (
	FieldAny  = 0
	FieldNone = 1
)

// Device capabilities (V4L2_CAP_*).
const (
	CapVideoCapture       = 0x00000001
	CapVideoOutput        = 0x00000002
	CapVideoOverlay       = 0x00000004
	CapVideoCaptureMPlane = 0x00001000
	CapVideoOutputMPlane  = 0x00002000
	CapVideoM2MMPlane     = 0x00004000
	CapVideoM2M           = 0x00008000
	CapMetaCapture        = 0x00800000
	CapReadWrite          = 0x01000000
	CapStreaming          = 0x04000000
	CapMetaOutput         = 0x08000000
	CapDeviceCaps         = 0x80000000
)

// Format description flags (V4L2_FMT_FLAG_*).
const (
	FmtFlagCompressed = 0x0001
	FmtFlagEmulated   = 0x0002
)

// Frame size and interval types (enum v4l2_frmsizetypes, v4l2_frmivaltypes).
const (
	FrmTypeDiscrete   = 1
	FrmTypeContinuous = 2
	FrmTypeStepwise   = 3
)

// Buffer flags (V4L2_BUF_FLAG_*).
const (
	BufFlagMapped             = 0x00000001
	BufFlagQueued             = 0x00000002
	BufFlagDone               = 0x00000004
	BufFlagKeyframe           = 0x00000008
	BufFlagError              = 0x00000040
	BufFlagTimestampMask      = 0x0000e000
	BufFlagTimestampUnknown   = 0x00000000
	BufFlagTimestampMonotonic = 0x00002000
	BufFlagTimestampCopy      = 0x00004000
	BufFlagLast               = 0x00100000
)

// Streaming parameter capabilities (V4L2_CAP_TIMEPERFRAME).
const CapTimePerFrame = 0x1000

// Control types (enum v4l2_ctrl_type). Values from CtrlTypeCompoundBase
// up are compound (arrays, matrices, structs).
const (
	CtrlTypeInteger      = 1
	CtrlTypeBoolean      = 2
	CtrlTypeMenu         = 3
	CtrlTypeButton       = 4
	CtrlTypeInteger64    = 5
	CtrlTypeCtrlClass    = 6
	CtrlTypeString       = 7
	CtrlTypeBitmask      = 8
	CtrlTypeIntegerMenu  = 9
	CtrlTypeCompoundBase = 0x0100
)

// Control flags (V4L2_CTRL_FLAG_*).
const (
	CtrlFlagDisabled       = 0x0001
	CtrlFlagGrabbed        = 0x0002
	CtrlFlagReadOnly       = 0x0004
	CtrlFlagUpdate         = 0x0008
	CtrlFlagInactive       = 0x0010
	CtrlFlagSlider         = 0x0020
	CtrlFlagWriteOnly      = 0x0040
	CtrlFlagVolatile       = 0x0080
	CtrlFlagHasPayload     = 0x0100
	CtrlFlagExecuteOnWrite = 0x0200
	CtrlFlagNextCtrl       = 0x80000000
	CtrlFlagNextCompound   = 0x40000000
)

// CtrlWhichCurVal selects current values in v4l2_ext_controls.which.
const CtrlWhichCurVal = 0

// Pixel formats that need the backend's attention (V4L2_PIX_FMT_*).
var (
	PixFmtNV12M   = fourcc('N', 'M', '1', '2')
	PixFmtNV21M   = fourcc('N', 'M', '2', '1')
	PixFmtYUV420M = fourcc('Y', 'M', '1', '2')
	PixFmtYVU420M = fourcc('Y', 'M', '2', '1')
	PixFmtMJPEG   = fourcc('M', 'J', 'P', 'G')
	PixFmtJPEG    = fourcc('J', 'P', 'E', 'G')
)

func fourcc(a, b, c, d byte) uint32 {
	return uint32(a) | uint32(b)<<8 | uint32(c)<<16 | uint32(d)<<24
}

// ioctl direction bits in the generic encoding (x86, arm, riscv,
// loongarch), shifted into place.
const (
	iocW  = 1 << 30
	iocR  = 2 << 30
	iocRW = iocR | iocW
)
