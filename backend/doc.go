// Package backend defines the interface every capture backend implements,
// the buffers backends lend to streams, and the registry that maps the
// scheme of a device ID ("v4l2" in "v4l2:/dev/video0") to its backend.
//
// Users do not call backends directly; they use miniav.Open and the
// devices package. Backend authors implement Backend and Source.
//
// # Writing a backend
//
// A backend is a sub-package that calls Register from an init function.
// Registering must touch no hardware and must never panic: enumeration and
// opening happen only when a caller asks for them. It implements:
//
//   - Backend: Name (the ID scheme), Devices (what is there now; no
//     devices is not an error) and Open. Open starts capture, fails with
//     an error matching ErrNotFound, ErrNotSupported, ErrBusy or
//     ErrPermissionDenied where those apply, and with the context's error
//     when ctx is already done.
//   - Source: Info, whose Kind is set and whose Video or Audio is the
//     format of the first buffer; Read and Close as documented on Source.
//   - Releaser, usually the source itself or a pool.Buffer: ReleaseBuffer
//     is called exactly once per buffer, from any goroutine, also after
//     Close; the memory of a buffer still held is never lent again.
//   - Optionally Kinder (the kinds it offers), Notifier (hot-plug) and
//     Controller (camera controls).
//
// Every buffer Read fills describes itself: video planes, strides and
// NumPlanes laid out for its format (format.PixelFormat.PlaneSize), or one
// plane of Frames interleaved sample frames for audio; Timestamp on the
// process-wide epoch (Now), never in the future and never going back;
// DeviceTimestamp on the device's clock (never going back), or 0 for
// devices without one; Sequence increasing (for audio by at least the
// sample frames of the buffer before), with Skipped no larger than the gap
// it explains. Frames held keep their bytes while later ones are read and
// after Close; when every buffer is held Read waits for a release (or
// copies, or drops, and says so through Observer) and wakes when ctx is
// cancelled. Steady-state capture allocates nothing per frame. Close and the
// last release leave no goroutine, file descriptor, mapping or
// shared-memory segment behind.
//
// A backend that lends buffers from long-lived regions (V4L2 MMAP
// buffers, X11 shared segments, GDI DIB sections, pool buffers) sets
// Buffer.Memory to the region's Memory, the same one on every buffer lent
// from it, and calls its Teardown right before it unmaps or frees the
// region, after the last release. A consumer keys per-region work (a GPU
// import of the host memory) by Memory.ID and undoes it in OnTeardown.
// backendtest.LendsMemory makes the kit require it.
//
// A backend's tests must pass the contract kit, backendtest.Run, against
// the backend's real component (an X server, a sound server, a kernel
// driver, a browser), through the raw Source and through miniav.Open:
//
//	func TestContract(t *testing.T) {
//		x := xvfb.Start(t)
//		backendtest.Run(t, "x11:"+x.Display, backendtest.NoDeviceTimestamps())
//	}
//
// Options declare what the device cannot do (backendtest.NoDeviceTimestamps,
// CannotBlock, AllowAllocs for a driver that allocates). The kit replaces
// hand-written checks of these properties; a backend's own tests cover what
// is particular to it: pixels, tones, formats, device loss.
package backend
