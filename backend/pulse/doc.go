// Package pulse captures audio from a PulseAudio server, or PipeWire's
// pulse server, in pure Go: it speaks the native protocol over the server's
// socket (internal/pulsewire), with no cgo and no audio thread of its own.
// It is registered under the scheme "pulse" on every system but js/wasm,
// and works wherever a PulseAudio server is reachable (PULSE_SERVER, or
// the per-user socket in XDG_RUNTIME_DIR).
//
// Device IDs:
//
//	pulse:                 the server's default source (follows it if the default moves)
//	pulse:loopback         the monitor of the default sink: what the machine plays
//	pulse:NAME             the source NAME, e.g. "pulse:alsa_input.usb-..." or a monitor "pulse:SINK.monitor"
//	...?server=ADDR        a server address instead of the default ("unix:/path", "tcp:host:port")
//
// Devices lists every source: monitors of sinks as backend.KindLoopback,
// the others as backend.KindMicrophone, the server's default of each
// marked Default. The server converts to any format asked for (U8, S16,
// S24, S32, F32; 1 to 32 channels; up to 384 kHz), so Open accepts those
// and Info().Audio is what was asked, zero fields filled from the server's
// default sample spec; the default period is 10 ms.
//
// Capture is a record stream whose fragment is one period, with the
// source's latency adjusted to it (what parec --latency-msec does). The
// stream's reader reads the socket itself: Read waits in Go's netpoller
// for the server's next packet and copies it into a pooled buffer, so the
// only thread the audio wakes is the reader's, once per period, and
// nothing is allocated per period.
//
// Timestamp is when the period's last byte arrived. Sequence is the
// running sample-frame index. A consumer slower than real time makes the
// server drop audio once its queue and the socket buffer are full (about
// a second); the server does not say so, so the source finds the loss on
// the clock: when a Read that had to wait for the server (it is caught up)
// sees the sample count fall behind the time elapsed by more than four
// periods (and at least 50 ms) beyond the usual latency, the missing
// frames are counted as backend.DropOverrun and skipped in Sequence, so
// DeviceTimestamp stays on the real clock. The estimate is exact to a few
// milliseconds; clock drift between the sound card and the system is
// followed slowly and not reported as loss.
//
// Backend implements backend.Notifier: a connection of its own subscribes
// to the server's source events, so a devices.Watcher hears of a source
// added or removed at once.
//
// A named source that goes away ends the stream with an error matching
// backend.ErrDeviceLost (the server kills the stream; it is opened without
// moving), as does the server closing the connection; the default source
// and pulse:loopback follow the server's default instead. An unknown
// source gives backend.ErrNotFound, an unreachable server (or one that
// breaks the connection during the handshake) backend.ErrNotFound too, a
// server that goes away later during Open backend.ErrDeviceLost, and a
// format the server refuses backend.ErrNotSupported.
package pulse

// Name is the backend's scheme.
const Name = "pulse"

// Loopback is the address of the default sink's monitor.
const Loopback = "loopback"
