package gdi

import (
	"fmt"
	"image"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/miniav-go/miniav/internal/testenv"
)

// The test's own Win32 window: a popup at a known place painted in four
// quadrants of known colours (WM_PAINT, FillRect), with its message loop
// on a goroutine locked to an OS thread.

var (
	procRegisterClassExW = user32.NewProc("RegisterClassExW")
	procCreateWindowExW  = user32.NewProc("CreateWindowExW")
	procDefWindowProcW   = user32.NewProc("DefWindowProcW")
	procGetMessageW      = user32.NewProc("GetMessageW")
	procTranslateMessage = user32.NewProc("TranslateMessage")
	procDispatchMessageW = user32.NewProc("DispatchMessageW")
	procPostMessageW     = user32.NewProc("PostMessageW")
	procPostQuitMessage  = user32.NewProc("PostQuitMessage")
	procBeginPaint       = user32.NewProc("BeginPaint")
	procEndPaint         = user32.NewProc("EndPaint")
	procFillRect         = user32.NewProc("FillRect")
	procGetClientRect    = user32.NewProc("GetClientRect")
	procUpdateWindow     = user32.NewProc("UpdateWindow")
	procCreateSolidBrush = gdi32.NewProc("CreateSolidBrush")
	procGetModuleHandleW = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetModuleHandleW")
)

const (
	wmDestroy = 0x0002
	wmClose   = 0x0010
	wmPaint   = 0x000F
	wsPopup   = 0x80000000
	wsVisible = 0x10000000
	wsExTop   = 0x00000008 // WS_EX_TOPMOST
	wsExTool  = 0x00000080 // WS_EX_TOOLWINDOW
)

// quadrant colours as R, G, B (top-left, top-right, bottom-left, bottom-right)
var quad = [4][3]byte{{200, 30, 40}, {20, 180, 60}, {30, 50, 220}, {240, 220, 10}}

type wndClassEx struct {
	Size       uint32
	Style      uint32
	WndProc    uintptr
	ClsExtra   int32
	WndExtra   int32
	Instance   windows.Handle
	Icon       windows.Handle
	Cursor     windows.Handle
	Background windows.Handle
	MenuName   *uint16
	ClassName  *uint16
	IconSm     windows.Handle
}

type msg struct {
	Hwnd    windows.HWND
	Message uint32
	WParam  uintptr
	LParam  uintptr
	Time    uint32
	Pt      point
	Private uint32
}

type paintStruct struct {
	Hdc       uintptr
	Erase     int32
	Paint     rect
	Restore   int32
	IncUpdate int32
	Reserved  [32]byte
}

var (
	classOnce sync.Once
	className *uint16
	classErr  error
	brushes   [4]uintptr
	openWins  atomic.Int32
)

func wndProc(h windows.HWND, m uint32, wp, lp uintptr) uintptr {
	switch m {
	case wmPaint:
		var ps paintStruct
		dc, _, _ := syscall.SyscallN(procBeginPaint.Addr(), uintptr(h), uintptr(unsafe.Pointer(&ps)))
		var cr rect
		syscall.SyscallN(procGetClientRect.Addr(), uintptr(h), uintptr(unsafe.Pointer(&cr)))
		mx, my := cr.Right/2, cr.Bottom/2
		parts := [4]rect{{0, 0, mx, my}, {mx, 0, cr.Right, my}, {0, my, mx, cr.Bottom}, {mx, my, cr.Right, cr.Bottom}}
		for i := range parts {
			syscall.SyscallN(procFillRect.Addr(), dc, uintptr(unsafe.Pointer(&parts[i])), brushes[i])
		}
		syscall.SyscallN(procEndPaint.Addr(), uintptr(h), uintptr(unsafe.Pointer(&ps)))
		return 0
	case wmDestroy:
		syscall.SyscallN(procPostQuitMessage.Addr(), 0)
		return 0
	}
	r, _, _ := syscall.SyscallN(procDefWindowProcW.Addr(), uintptr(h), uintptr(m), wp, lp)
	return r
}

func registerClass() error {
	classOnce.Do(func() {
		if classErr = load(); classErr != nil {
			return
		}
		for i, c := range quad {
			brushes[i], _, _ = syscall.SyscallN(procCreateSolidBrush.Addr(), uintptr(c[0])|uintptr(c[1])<<8|uintptr(c[2])<<16)
		}
		inst, _, _ := syscall.SyscallN(procGetModuleHandleW.Addr(), 0)
		className = windows.StringToUTF16Ptr("miniavGDITest")
		arrow, _, _ := syscall.SyscallN(user32.NewProc("LoadCursorW").Addr(), 0, 32512) // IDC_ARROW
		wc := wndClassEx{WndProc: windows.NewCallback(wndProc), Instance: windows.Handle(inst), ClassName: className, Cursor: windows.Handle(arrow),
			Style: 0x0001 | 0x0002} // CS_VREDRAW|CS_HREDRAW: a resize repaints every quadrant
		wc.Size = uint32(unsafe.Sizeof(wc))
		if r, _, err := syscall.SyscallN(procRegisterClassExW.Addr(), uintptr(unsafe.Pointer(&wc))); r == 0 {
			classErr = fmt.Errorf("RegisterClassExW: %v", err)
		}
	})
	return classErr
}

// testWindow is a painted popup window owned by its own OS thread.
type testWindow struct {
	hwnd windows.HWND
	r    image.Rectangle
	done chan struct{}
}

// needDesktop skips (fails in CI) when there is no desktop to draw on.
func needDesktop(t testing.TB) {
	t.Helper()
	if err := load(); err != nil {
		testenv.Missing(t, "gdi32/user32: %v", err)
	}
	if virtualScreen().Empty() {
		testenv.Missing(t, "no Windows desktop (under Wine, DISPLAY must name an X server)")
	}
}

// newWindow creates a popup window at r painted in the four quadrants;
// it is destroyed at the end of the test unless destroyed before.
func newWindow(t testing.TB, title string, r image.Rectangle) *testWindow {
	t.Helper()
	needDesktop(t)
	if err := registerClass(); err != nil {
		t.Fatal(err)
	}
	w := &testWindow{r: r, done: make(chan struct{})}
	made := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer close(w.done)
		ttl := windows.StringToUTF16Ptr(title)
		h, _, err := syscall.SyscallN(procCreateWindowExW.Addr(), wsExTop|wsExTool, uintptr(unsafe.Pointer(className)), uintptr(unsafe.Pointer(ttl)),
			wsPopup|wsVisible, uintptr(r.Min.X), uintptr(r.Min.Y), uintptr(r.Dx()), uintptr(r.Dy()), 0, 0, 0, 0)
		if h == 0 {
			made <- fmt.Errorf("CreateWindowExW: %v", err)
			return
		}
		w.hwnd = windows.HWND(h)
		openWins.Add(1)
		defer openWins.Add(-1)
		syscall.SyscallN(procUpdateWindow.Addr(), h)
		made <- nil
		var m msg
		for {
			r, _, _ := syscall.SyscallN(procGetMessageW.Addr(), uintptr(unsafe.Pointer(&m)), 0, 0, 0)
			if int32(r) <= 0 {
				return
			}
			syscall.SyscallN(procTranslateMessage.Addr(), uintptr(unsafe.Pointer(&m)))
			syscall.SyscallN(procDispatchMessageW.Addr(), uintptr(unsafe.Pointer(&m)))
		}
	}()
	if err := <-made; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.destroy)
	return w
}

// destroy closes the window and waits for its thread to end.
func (w *testWindow) destroy() {
	select {
	case <-w.done:
		return
	default:
	}
	syscall.SyscallN(procPostMessageW.Addr(), uintptr(w.hwnd), wmClose, 0, 0)
	select {
	case <-w.done:
	case <-time.After(5 * time.Second):
		panic("gdi test: the test window's thread did not end")
	}
}

// want returns the colour (R, G, B) the window paints at p, in window
// coordinates.
func (w *testWindow) want(p image.Point) [3]byte {
	i := 0
	if p.X >= w.r.Dx()/2 {
		i++
	}
	if p.Y >= w.r.Dy()/2 {
		i += 2
	}
	return quad[i]
}
