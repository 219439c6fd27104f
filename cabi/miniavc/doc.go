// Command miniavc is the MiniAV 0.7 C API (MiniAV_* functions, the
// MiniAVBuffer struct, buffer callbacks, MiniAV_ReleaseBuffer) on the miniav
// Go library: a drop-in for MiniAV's libminiav_c, built with
//
//	go build -buildmode=c-shared -o libminiav_c.so ./cabi/miniavc
//
// (libminiav_c.dylib on macOS, miniav_c.dll on Windows). Programs include
// the headers in include/ (ABI-identical to MiniAV 0.7's) and link with
// -lminiav_c, as they do with the original. See README.md for what is
// supported, and ../README.md for miniav's own, pull-based C ABI.
//
// Threading: every capture context has one dispatcher goroutine, locked to
// its own OS thread for its life, that takes the stream's frames from its
// queue and calls the buffer callback; the thread is created by the Go
// runtime, never borrowed from the application, and it is not a real-time
// audio thread: the audio backends' real-time callbacks only enqueue frames
// (or drop them when the queue is full), so a slow callback delays nothing
// but its own context's later buffers.
//
// Buffers: each delivered MiniAVBuffer is C memory (calloc), and its plane
// and sample pointers point at the miniav.Frame's memory, without a copy:
// device memory, or pooled Go memory pinned with runtime.Pinner. Both stay
// valid until MiniAV_ReleaseBuffer, which releases the ref-counted frame
// (even after StopCapture or DestroyContext); internal_handle is a token,
// never a pointer, so a second release is recognised and refused.
//
// Without cgo the package is an empty program, so the module still builds
// with CGO_ENABLED=0 for every target.
package main

// main is unused: a c-shared library's entry points are its exported
// functions.
func main() {}
