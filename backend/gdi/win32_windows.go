package gdi

import (
	"fmt"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/miniav-go/miniav/backend"
)

// The gdi32 and user32 calls golang.org/x/sys/windows lacks. They are
// resolved once and called through syscall.SyscallN on the address, never
// LazyProc.Call: Call is uintptrescapes, so every pointer argument it is
// given moves to the heap, which would cost allocations per frame.

var (
	gdi32  = windows.NewLazySystemDLL("gdi32.dll")
	user32 = windows.NewLazySystemDLL("user32.dll")

	procs = map[*uintptr]*windows.LazyProc{
		&pBitBlt:              gdi32.NewProc("BitBlt"),
		&pCreateCompatibleDC:  gdi32.NewProc("CreateCompatibleDC"),
		&pCreateDIBSection:    gdi32.NewProc("CreateDIBSection"),
		&pDeleteDC:            gdi32.NewProc("DeleteDC"),
		&pDeleteObject:        gdi32.NewProc("DeleteObject"),
		&pGdiFlush:            gdi32.NewProc("GdiFlush"),
		&pSelectObject:        gdi32.NewProc("SelectObject"),
		&pGetDC:               user32.NewProc("GetDC"),
		&pGetWindowDC:         user32.NewProc("GetWindowDC"),
		&pReleaseDC:           user32.NewProc("ReleaseDC"),
		&pGetWindowRect:       user32.NewProc("GetWindowRect"),
		&pGetWindowTextW:      user32.NewProc("GetWindowTextW"),
		&pEnumDisplayMonitors: user32.NewProc("EnumDisplayMonitors"),
		&pGetMonitorInfoW:     user32.NewProc("GetMonitorInfoW"),
		&pGetSystemMetrics:    user32.NewProc("GetSystemMetrics"),
		&pGetCursorInfo:       user32.NewProc("GetCursorInfo"),
		&pGetIconInfo:         user32.NewProc("GetIconInfo"),
		&pDrawIconEx:          user32.NewProc("DrawIconEx"),
	}
	pBitBlt, pCreateCompatibleDC, pCreateDIBSection, pDeleteDC, pDeleteObject, pGdiFlush, pSelectObject uintptr
	pGetDC, pGetWindowDC, pReleaseDC, pGetWindowRect, pGetWindowTextW, pEnumDisplayMonitors             uintptr
	pGetMonitorInfoW, pGetSystemMetrics, pGetCursorInfo, pGetIconInfo, pDrawIconEx                      uintptr

	loadOnce sync.Once
	loadErr  error

	monitorCB uintptr // EnumDisplayMonitors' callback (callbacks cannot be freed: made once)
	windowCB  uintptr // EnumWindows'
)

// load resolves every procedure, once.
func load() error {
	loadOnce.Do(func() {
		for addr, p := range procs {
			if err := p.Find(); err != nil {
				loadErr = fmt.Errorf("gdi: %s: %w", p.Name, err)
				return
			}
			*addr = p.Addr()
		}
		monitorCB = windows.NewCallback(enumMonitor)
		windowCB = windows.NewCallback(enumWindow)
	})
	return loadErr
}

const (
	srccopy       = 0x00CC0020
	captureblt    = 0x40000000
	diRGBColors   = 0
	diNormal      = 0x0003
	cursorShowing = 0x00000001
	monitorPrim   = 0x00000001

	smXVirtualScreen  = 76
	smYVirtualScreen  = 77
	smCXVirtualScreen = 78
	smCYVirtualScreen = 79
)

type rect struct{ Left, Top, Right, Bottom int32 }

type bitmapInfoHeader struct {
	Size          uint32
	Width         int32
	Height        int32
	Planes        uint16
	BitCount      uint16
	Compression   uint32
	SizeImage     uint32
	XPelsPerMeter int32
	YPelsPerMeter int32
	ClrUsed       uint32
	ClrImportant  uint32
}

// bitmapInfo is BITMAPINFO with its one (unused, BI_RGB) colour entry.
type bitmapInfo struct {
	Header bitmapInfoHeader
	Colors [1]uint32
}

type monitorInfoEx struct {
	Size    uint32
	Monitor rect
	Work    rect
	Flags   uint32
	Device  [32]uint16
}

type point struct{ X, Y int32 }

type cursorInfo struct {
	Size   uint32
	Flags  uint32
	Cursor windows.Handle
	Pos    point
}

type iconInfo struct {
	Icon     int32
	XHotspot uint32
	YHotspot uint32
	Mask     windows.Handle
	Color    windows.Handle
}

func getDC(hwnd windows.HWND) uintptr {
	r, _, _ := syscall.SyscallN(pGetDC, uintptr(hwnd))
	return r
}

func getWindowDC(hwnd windows.HWND) uintptr {
	r, _, _ := syscall.SyscallN(pGetWindowDC, uintptr(hwnd))
	return r
}

func releaseDC(hwnd windows.HWND, dc uintptr) {
	syscall.SyscallN(pReleaseDC, uintptr(hwnd), dc)
}

func bitBlt(dst uintptr, x, y, w, h int, src uintptr, sx, sy int, rop uint32) error {
	r, _, err := syscall.SyscallN(pBitBlt, dst, uintptr(x), uintptr(y), uintptr(w), uintptr(h), src, uintptr(sx), uintptr(sy), uintptr(rop))
	if r == 0 {
		return fmt.Errorf("BitBlt: %v", errnoOr(err))
	}
	return nil
}

func gdiFlush() { syscall.SyscallN(pGdiFlush) }

func getWindowRect(hwnd windows.HWND, r *rect) bool {
	ok, _, _ := syscall.SyscallN(pGetWindowRect, uintptr(hwnd), uintptr(unsafe.Pointer(r)))
	return ok != 0
}

func getSystemMetrics(i int) int {
	r, _, _ := syscall.SyscallN(pGetSystemMetrics, uintptr(i))
	return int(int32(r))
}

func getCursorInfo(ci *cursorInfo) bool {
	ci.Size = uint32(unsafe.Sizeof(*ci))
	r, _, _ := syscall.SyscallN(pGetCursorInfo, uintptr(unsafe.Pointer(ci)))
	return r != 0
}

func drawIcon(dc uintptr, x, y int, icon windows.Handle) {
	syscall.SyscallN(pDrawIconEx, dc, uintptr(x), uintptr(y), uintptr(icon), 0, 0, 0, 0, diNormal)
}

// hotspot returns a cursor's hot spot (GetIconInfo; the bitmaps it makes
// are deleted at once).
func hotspot(c windows.Handle) (int, int) {
	var ii iconInfo
	if r, _, _ := syscall.SyscallN(pGetIconInfo, uintptr(c), uintptr(unsafe.Pointer(&ii))); r == 0 {
		return 0, 0
	}
	if ii.Mask != 0 {
		syscall.SyscallN(pDeleteObject, uintptr(ii.Mask))
	}
	if ii.Color != 0 {
		syscall.SyscallN(pDeleteObject, uintptr(ii.Color))
	}
	return int(ii.XHotspot), int(ii.YHotspot)
}

// dib is a top-down 32-bit DIB section selected into its own memory DC.
type dib struct {
	dc   uintptr
	bmp  uintptr
	old  uintptr
	mem  []byte
	w, h int
	// region is mem's identity, lent with every frame; torn down right
	// before the section is deleted.
	region *backend.Memory
}

func newDIB(w, h int) (dib, error) {
	var d dib
	screen := getDC(0)
	if screen == 0 {
		return d, fmt.Errorf("GetDC(NULL) failed")
	}
	defer releaseDC(0, screen)
	dc, _, err := syscall.SyscallN(pCreateCompatibleDC, screen)
	if dc == 0 {
		return d, fmt.Errorf("CreateCompatibleDC: %v", errnoOr(err))
	}
	bi := bitmapInfo{Header: bitmapInfoHeader{Width: int32(w), Height: -int32(h), Planes: 1, BitCount: 32}}
	bi.Header.Size = uint32(unsafe.Sizeof(bi.Header))
	var bits unsafe.Pointer
	bmp, _, err := syscall.SyscallN(pCreateDIBSection, dc, uintptr(unsafe.Pointer(&bi)), diRGBColors, uintptr(unsafe.Pointer(&bits)), 0, 0)
	if bmp == 0 || bits == nil {
		syscall.SyscallN(pDeleteDC, dc)
		return d, fmt.Errorf("CreateDIBSection %dx%d: %v", w, h, errnoOr(err))
	}
	old, _, _ := syscall.SyscallN(pSelectObject, dc, bmp)
	mem := unsafe.Slice((*byte)(bits), w*h*4)
	d = dib{dc: dc, bmp: bmp, old: old, mem: mem, w: w, h: h, region: backend.NewMemory(mem)}
	return d, nil
}

func (d *dib) free() {
	if d.dc == 0 {
		return
	}
	d.region.Teardown()
	syscall.SyscallN(pSelectObject, d.dc, d.old)
	syscall.SyscallN(pDeleteObject, d.bmp)
	syscall.SyscallN(pDeleteDC, d.dc)
	*d = dib{}
}

func errnoOr(err error) error {
	if e, ok := err.(syscall.Errno); ok && e == 0 {
		return fmt.Errorf("failed")
	}
	return err
}

// Enumeration results land here: callbacks get no Go closure.
var enum struct {
	mu       sync.Mutex
	monitors []monitor
	windows  []windows.HWND
}

type monitor struct {
	r       rect
	primary bool
	name    string
}

func enumMonitor(h, _ uintptr, _ *rect, _ uintptr) uintptr {
	mi := monitorInfoEx{}
	mi.Size = uint32(unsafe.Sizeof(mi))
	if r, _, _ := syscall.SyscallN(pGetMonitorInfoW, h, uintptr(unsafe.Pointer(&mi))); r != 0 {
		enum.monitors = append(enum.monitors, monitor{r: mi.Monitor, primary: mi.Flags&monitorPrim != 0, name: windows.UTF16ToString(mi.Device[:])})
	}
	return 1
}

func enumWindow(h windows.HWND, _ uintptr) uintptr {
	enum.windows = append(enum.windows, h)
	return 1
}

// monitors lists the monitors in EnumDisplayMonitors' order.
func monitors() []monitor {
	enum.mu.Lock()
	defer enum.mu.Unlock()
	enum.monitors = nil
	syscall.SyscallN(pEnumDisplayMonitors, 0, 0, monitorCB, 0)
	out := enum.monitors
	enum.monitors = nil
	return out
}

// topWindows lists the top-level windows in EnumWindows' (z) order.
func topWindows() []windows.HWND {
	enum.mu.Lock()
	defer enum.mu.Unlock()
	enum.windows = nil
	_ = windows.EnumWindows(windowCB, nil)
	out := enum.windows
	enum.windows = nil
	return out
}

func windowText(h windows.HWND) string {
	var buf [256]uint16
	n, _, _ := syscall.SyscallN(pGetWindowTextW, uintptr(h), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	return windows.UTF16ToString(buf[:min(int(n), len(buf))])
}
