// Package gdi captures Windows displays and windows through GDI, registered
// under the scheme "gdi". It is pure Go (golang.org/x/sys/windows and
// syscall.SyscallN on gdi32/user32; no cgo) and exists on Windows only; on
// other systems the package registers nothing.
//
// Device IDs:
//
//	gdi:               the whole virtual screen (every monitor)
//	gdi:display/N      monitor N in EnumDisplayMonitors' order, its rectangle
//	gdi:window/HWND    one top-level window (HWND in hex, 0x..., or decimal)
//
// Devices lists the virtual screen (the default display), the monitors, and
// the visible top-level windows that have a title, named by it.
// Config.Region crops display capture; Config.Cursor draws the pointer in
// (GetCursorInfo, DrawIconEx).
//
// Capture is BitBlt (SRCCOPY|CAPTUREBLT) from the screen's or the window's
// DC into a ring of top-down 32-bit DIB sections (three by default,
// Config.Buffers to change; at least two), each selected into its own
// memory DC. A frame is a view into its DIB section's memory (GDI writes
// the pixels there; the process copies nothing), BGRX with stride
// width×4, and releasing the frame returns the section to the ring. When
// every section is held, Read waits for a release (or its context). The
// sections are freed once the source is closed and no frame holds one.
// Paced capture runs on an absolute schedule (frame k due at
// start + k·interval; a late frame skips the ticks it missed, leaving a
// gap in the sequence numbers). Timestamps are backend.Now
// (QueryPerformanceCounter) at the BitBlt; there is no device clock.
//
// A window is captured whole (its window DC, frame included) at its
// current size: when it was resized, the section about to be filled (one
// not lent out) is made again at the new size, so frames change size with
// the window (Buffer.Video says each frame's) while Info has the size at
// Open. A window that is destroyed ends the stream with ErrDeviceLost.
//
// DXGI Desktop Duplication is not implemented. Open probes for it once per
// process (D3D11CreateDevice, then IDXGIOutput1::DuplicateOutput on the
// first output) and Info.Mode reports the GDI path and why:
// "gdi bitblt (DXGI duplication unavailable: IDXGIOutput1::DuplicateOutput:
// HRESULT 0x80004001)" under Wine 8 (E_NOTIMPL), or "gdi bitblt (DXGI
// duplication available, not implemented)".
package gdi

// Name is the scheme of the backend's device IDs.
const Name = "gdi"
