// Package pipewire captures the screen on Wayland through the
// xdg-desktop-portal ScreenCast portal, and video nodes (cameras, other
// applications' streams) straight from PipeWire, on Linux.
//
// # Device IDs
//
//	pipewire:screen                a monitor; the portal asks the user (or
//	                               the compositor picks) which one
//	pipewire:screen?restore=TOKEN  the same choice again, without a dialog,
//	                               from the token a previous stream's
//	                               Info().Attrs["restore_token"] holds
//	pipewire:window                a window, where the portal offers them
//	pipewire:NODE                  the PipeWire node with id NODE
//	pipewire:camera/NAME           the node whose node.name (or
//	                               object.serial) is NAME
//
// Parameters: persist=0|1|2 (the portal's persist_mode; default 2: until
// revoked, so that a restore token comes back), remote=NAME (the PipeWire
// socket, a name in PIPEWIRE_RUNTIME_DIR or an absolute path; with
// screen it bypasses the portal's remote), bus=ADDRESS (the D-Bus
// session bus; default DBUS_SESSION_BUS_ADDRESS), portal=0|1 (cameras
// and nodes: 1 through the Camera portal, 0 never; by default camera/NAME
// goes through the portal only when no PipeWire socket is in reach, as in
// a sandbox).
//
// Through the Camera portal (org.freedesktop.portal.Camera) Open asks for
// access (AccessCamera: the user's dialog, or the answer the portal's
// permission store remembers; it honours ctx while it waits) and consumes
// the node on the PipeWire connection the portal hands over
// (OpenPipeWireRemote). For a sandboxed program that connection sees only
// nodes whose media.role is Camera (what PipeWire's V4L2 and libcamera
// monitors publish); WirePlumber 0.4 grants an unsandboxed one the rest as
// well, and does so a moment after the connection is made, so Open waits
// up to 2 s for the node to show. A refusal matches
// backend.ErrPermissionDenied, a node the connection never sees
// backend.ErrNotFound; Info().Attrs["portal"] is "camera". xdg-desktop-portal
// offers the Camera portal only with a backend that has the Access
// interface (xdg-desktop-portal-gtk or -gnome); the 1.16 of Debian 12 sets
// IsCameraPresent from the cameras that existed when it started only, so
// Open does not depend on it.
//
// Open on pipewire:screen honours its context while the portal's dialog is
// up (that may take minutes on a desktop); a user's refusal matches
// backend.ErrPermissionDenied. miniav.WithCursor maps onto the portal's
// cursor modes: embedded when asked for, hidden otherwise. The portal's
// answer is in the stream's Info().Attrs: "node", "restore_token",
// "cursor_mode", "position".
//
// Screen frames are damage-driven: the compositor sends a frame when the
// screen changes (up to its own cap, 30 fps for xdg-desktop-portal-wlr by
// default), and none while the screen is still. A consumer sees a frame at
// start and then one per change; Read just waits meanwhile.
//
// # Devices
//
// Devices lists pipewire:screen (and pipewire:window) when a ScreenCast
// portal answers on the session bus, and every Video/Source node of the
// PipeWire socket as pipewire:camera/NODE_NAME (PipeWire's V4L2 and
// libcamera nodes, other applications' streams), with the node id,
// object.serial and api.v4l2.path in Attrs, and the node's formats (its
// EnumFormat params: SPA video formats mapped onto format.PixelFormat,
// MJPG and H264 as compressed formats, sizes and frame rates as the node
// lists them, fixed, enumerated or as ranges) in Device.Video. At Open,
// Config.Video's pixel format, size and rate are offered to the producer.
//
// The backend is a backend.Notifier: a connection of its own listens to
// the registry, and a Video/Source node added or removed (global and
// global_remove) makes devices.Watcher enumerate at once, within tens of
// milliseconds, instead of at its next poll. The portal's screen and
// window sources are not watched.
//
// # Why cgo and libpipewire-0.3
//
// PipeWire's native protocol is not enough to receive video: a consumer
// is a client-node exported to the server, with SPA POD-encoded params,
// shared memory and eventfd activation records whose byte layout follows
// the server's version. No pure-Go client of that exists; writing one is
// thousands of lines chasing a moving target (measured in
// shared/research/pipewire.md). libpipewire-0.3 hides all of it behind
// pw_stream, has a stable ABI from 0.3.x to 1.x, and is what OBS,
// GStreamer and the original MiniAV use. So this package links
// libpipewire-0.3 through cgo (pkg-config libpipewire-0.3): each source
// has a pw_thread_loop and a pw_stream whose process callback runs on
// PipeWire's data thread (PW_STREAM_FLAG_RT_PROCESS, one thread wake per
// frame fewer than on the thread loop); it dequeues buffers in C and
// queues them in a ring, waking the reader through an eventfd in Go's
// netpoller; no Go code runs on PipeWire's threads. Read takes frames
// from that ring and Release queues buffers on a second one, both with
// atomics on the C side's memory and no cgo call: a cgo call enters a
// syscall, which wakes the Go runtime's sysmon thread, and once per frame
// that cost more CPU than everything else (BENCHMARKS.md). The loop hands
// released buffers back to PipeWire with the next frame, or at once when
// PipeWire's buffers run low on the producer's side. The portal half is
// pure Go (internal/portal, over D-Bus).
//
// Built without cgo, the backend is still registered, lists the portal's
// sources, and Open fails with backend.ErrNotSupported; without a
// PipeWire socket Open fails with backend.ErrNotFound, and without a
// ScreenCast portal pipewire:screen does too.
//
// # Buffers
//
// The stream asks for MemFd, DmaBuf or MemPtr buffers. Each MemFd or
// DmaBuf buffer is mapped once, by this package, when PipeWire adds it; a
// frame is a view of that mapping (zero copy), lent until Release queues
// the buffer back to PipeWire. A DmaBuf frame also carries the buffer's
// descriptor per plane with the plane's offset in it (FlagDMABuf,
// VideoView.DMABuf and DMABufOffset; the descriptor is this package's own
// dup, open until the frame's release) and the negotiated DRM format
// modifier (VideoView.Modifier). The stream does not announce modifiers in
// its EnumFormat, so a producer that offers DMA-BUF only with a modifier
// list (a GPU compositor) negotiates shared memory instead; a DmaBuf
// buffer that cannot be mapped is dropped (DropError). The
// mapping outlives PipeWire's own use of the buffer, so frames held across
// a renegotiation keep their bytes and are unmapped on their last release.
// At Close every buffer still lent goes back to the stream (a PipeWire 0.3
// producer would otherwise stall its next consumer); the producer reuses
// those buffers, so a buffer a frame still holds first becomes private
// memory at the same address (a copy, then mremap over the mapping): the
// frame keeps its bytes, but a DmaBuf descriptor it carries then shows the
// producer's buffer. MemPtr buffers (PipeWire's
// memory, e.g. from GStreamer's pipewiresink) are copied once per frame
// (FlagCopied). A consumer holding every buffer makes the producer skip
// frames; the producer's sequence numbers (SPA_META_Header) show the gap.
//
// Damage and cursor: the stream asks for SPA_META_VideoDamage and
// SPA_META_Cursor. Where the producer sends damage (xdg-desktop-portal-wlr
// does), Frame.Damage returns the changed rectangles, clipped to the
// frame, more than backend.MaxDamage united into the last; a buffer whose
// damage lists no valid region counts as wholly changed (ok false). Where
// it sends a cursor position, Frame.Cursor returns it while the pointer is
// over the frame. The portal's metadata cursor mode is not asked for
// (WithCursor is embedded or hidden), and xdg-desktop-portal-wlr 0.7 does
// not offer it.
// SPA_META_Header's pts is the DeviceTimestamp.
//
// # End of stream
//
// The node's removal from the registry (the compositor or the portal
// backend went away; pw_stream itself only pauses), a core error (PipeWire
// went away), a stream error and the portal session's Closed signal end
// the stream with backend.ErrDeviceLost.
package pipewire
