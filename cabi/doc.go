// Command cabi is miniav's C ABI: built with
//
//	go build -buildmode=c-shared -o libminiav.so ./cabi
//
// it produces a shared library (and a generated libminiav.h) that C,
// Python ctypes, Dart FFI and any other FFI can load. The stable,
// documented interface is the hand-written miniav.h next to this file; see
// README.md for the ownership and threading rules.
//
// Streams, device watches and lent frames are identified by 64-bit handles
// into Go-side tables, never by Go pointers. The plane pointers handed out with a frame
// point at device memory or at a pooled Go buffer that is pinned with
// runtime.Pinner for as long as C holds the frame, and unpinned by
// miniav_frame_release: no copy, and no Go pointer C may keep unpinned.
//
// Without cgo the package is an empty program, so the module still builds
// with CGO_ENABLED=0 for every target.
package main

// main is unused: a c-shared library's entry points are its exported
// functions.
func main() {}
