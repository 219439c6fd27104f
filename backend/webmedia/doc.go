// Package webmedia captures the browser's camera, microphone and screen in
// a Go program compiled to WebAssembly (GOOS=js GOARCH=wasm), registered
// under the scheme "webmedia". It goes through navigator.mediaDevices
// (getUserMedia, getDisplayMedia) and MediaStreamTrackProcessor; in every
// other build the package is empty apart from its pure helpers, so
// importing it is always safe. Registering touches no browser API.
//
// Device IDs:
//
//	webmedia:camera                 the default camera
//	webmedia:camera/<deviceId>      one camera, by MediaDeviceInfo.deviceId
//	webmedia:microphone             the default microphone
//	webmedia:microphone/<deviceId>  one microphone
//	webmedia:screen                 a screen, window or tab the user picks (getDisplayMedia)
//
// Devices lists them with navigator.mediaDevices.enumerateDevices; before
// the page has been granted permission browsers hide labels and device
// IDs, so only the default entries may appear.
//
// Open asks for the device with constraints built from Config.Video
// (width and height as exact constraints, frameRate as ideal) or
// Config.Audio (sampleRate and channelCount as ideal), and reports the
// format the browser negotiated (MediaStreamTrack.getSettings). Screen
// capture may only use ideal constraints, and browsers let a page call
// getDisplayMedia only shortly after a user gesture (transient
// activation): open the screen from a goroutine started by a click
// handler. Each frame carries its own size, which for screens may differ
// from the negotiated one (Chromium's fake screen reports 800x600 and
// delivers 800x450). Open and Devices wait for JavaScript promises: call them from a
// goroutine, never from inside a js.FuncOf callback, where the JavaScript
// event loop is stopped and they would deadlock.
//
// # Frames and memory
//
// Each track is read with a MediaStreamTrackProcessor. Video frames are
// copied by the browser (VideoFrame.copyTo) into one reused Uint8Array,
// which js.CopyBytesToGo copies once into a pooled Go buffer (package
// pool): the browser offers no way to capture straight into WebAssembly
// memory, so every frame costs this one copy and Info().ZeroCopy is false.
// The default pixel format is RGBA, converted by the browser (also RGBX,
// BGRA and BGRX on request). Asking for format.I420 delivers the camera's
// own I420 planes without conversion, about half the cost; a stream whose
// frames are not I420 then ends with backend.ErrNotSupported. Audio is
// delivered as interleaved F32 (or S16 on request) in the browser's chunks
// (10 ms in Chromium) via AudioData.copyTo.
//
// Frames are handed from the browser's callback to the stream through a
// queue of Config.Buffers frames (DefaultQueue if zero); a frame that finds the queue full or the pool exhausted is
// dropped and counted (backend.DropOverrun, backend.DropPoolExhausted),
// leaving a gap in the sequence numbers. Timestamps are taken on
// backend.Now when the frame reaches Go; DeviceTimestamp is the
// VideoFrame or AudioData timestamp. Sequence counts the frames the
// browser produced (for audio: sample frames).
//
// In steady state neither the backend nor the stream allocates per frame:
// the only Go allocations are the three small ones (32 bytes) syscall/js
// and the runtime make for every call from JavaScript into a js.FuncOf,
// which no callback avoids. Per frame the backend reads only numbers from
// JavaScript and reuses its callback and buffers.
//
// All webmedia streams share one pool bounded at PoolBytes; Stats reports
// how many of its buffers are lent out and what the copies cost.
//
// # Errors
//
// NotAllowedError and SecurityError match backend.ErrPermissionDenied,
// NotFoundError and an OverconstrainedError on deviceId match
// backend.ErrNotFound, other OverconstrainedErrors match
// backend.ErrNotSupported, NotReadableError matches backend.ErrBusy; the
// browser's error is kept as a *DOMError. A track that ends without Close
// (device unplugged, user stopped sharing) ends the stream with
// backend.ErrDeviceLost. Close stops the tracks and releases the Go
// callbacks.
//
// Config.Region (cropping) is refused with backend.ErrNotSupported;
// Config.Cursor and Config.Unpaced have no effect: the browser decides
// whether the pointer is drawn and paces every device itself.
//
// Requirements: a secure context (https or http://127.0.0.1) and a browser
// with MediaStreamTrackProcessor on the page (Chromium-based browsers);
// elsewhere Open fails with backend.ErrNotSupported.
package webmedia

// Name is the backend's scheme.
const Name = "webmedia"

// DefaultQueue is how many copied frames may wait between the browser's
// callback and the stream unless Config.Buffers says otherwise.
const DefaultQueue = 2

// PoolBytes bounds the memory all webmedia streams copy frames into.
const PoolBytes = 256 << 20
