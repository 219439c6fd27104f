// Package malgo captures audio through miniaudio (github.com/gen2brain/malgo,
// cgo), registered under two schemes:
//
//   - "malgo": the platform's audio system (PulseAudio or PipeWire's pulse
//     server, ALSA, JACK, WASAPI, DirectSound, WinMM, Core Audio, sndio,
//     audio(4), OSS, AAudio, OpenSL ES), the first backend whose context
//     initialises, in miniaudio's order;
//   - "malgo-null": miniaudio's null backend, real-time paced silence that
//     needs no sound server or hardware (tests, pipelines without audio).
//
// The package needs cgo. Built with CGO_ENABLED=0 (or for js/wasm) it is
// empty and registers nothing, so programs that import it still build.
//
// # Device IDs
//
//	malgo:                      the default input (a microphone; listed as
//	                            loopback when the default input is a monitor)
//	malgo:ID                    the input whose miniaudio ID is ID
//	malgo:NAME                  the input named NAME (as listed)
//	malgo:loopback              what the default output plays
//	malgo:loopback/OUTPUT       what output OUTPUT (its ID or name) plays
//	malgo-null:                 the null backend's capture device
//
// ID is miniaudio's device ID in readable form, stable while the device
// exists: the PulseAudio source name ("alsa_input.pci-0000_00_1f.3.analog-stereo",
// "testsink.monitor"), the ALSA PCM name ("hw:0,0"), the WASAPI endpoint ID
// string, the Core Audio device UID, the OSS/sndio/audio(4) device path,
// or a decimal number for backends whose IDs are indices (WinMM, JACK,
// AAudio, OpenSL ES, null) and hex for DirectSound GUIDs. "%" and "?" in
// an ID are percent-encoded ("%25", "%3F").
//
// Loopback: on PulseAudio (and PipeWire through pipewire-pulse) every
// output has a monitor source "<sink>.monitor"; those sources are listed
// with backend.KindLoopback and "malgo:loopback" opens the monitor of the
// default sink. On Windows, WASAPI loopback captures an output directly:
// every output is listed as "malgo:loopback/<output ID>". Other backends
// have no loopback (backend.ErrNotSupported).
//
// Parameters follow the ID after "?", e.g.
// "malgo:loopback?backend=pulseaudio&server=unix:/run/pulse/native":
//
//	backend=NAME    use only this miniaudio backend (wasapi, dsound, winmm,
//	                coreaudio, sndio, audio4, oss, pulseaudio, alsa, jack,
//	                aaudio, opensl, webaudio, null)
//	server=ADDR     PulseAudio server address (default: PULSE_SERVER or the
//	                user's server)
//	watchdog=DUR    end the stream with ErrDeviceLost when no audio arrived
//	                for DUR (default 4s; 0 disables; WASAPI loopback, which
//	                is silent while nothing plays, defaults to 0)
//
// # Formats
//
// Config.Audio picks the sample format (u8, s16, s24, s32, f32), channel
// count, sample rate and period (PeriodFrames, default 10 ms); zero fields
// take the device's native value. miniaudio converts and resamples, so any
// combination within 1–254 channels and 8–384 kHz is accepted; Info().Audio
// reports what the stream delivers. Every buffer holds exactly PeriodFrames
// sample frames, interleaved.
//
// # Real-time hand-off
//
// miniaudio calls back on its real-time thread once per period.
//
// On 64-bit Linux the package replaces malgo's data callback with a C
// function of its own before the device starts, so no period ever enters
// Go on miniaudio's thread. It finds the callback's slot in miniaudio's
// device structure by layout (the data callback 16 bytes before malgo's
// exported stop callback, goStopCallback, which must occur exactly once in
// the first 64 bytes, at offset 40, with the negotiated sample rate at
// offset 12) and falls back to malgo's Go callback when that check fails
// (a different malgo or miniaudio layout). The C callback copies each
// period into a slot of C memory allocated at Open, publishes the slot on a
// lock-free single-producer single-consumer ring with C11-style atomics and
// writes an eventfd; Read parks on that eventfd in Go's netpoller (a raw,
// non-blocking read drains it) and lends the slot's memory itself as the
// buffer's plane. Closing frees the C memory once every lent buffer is
// released. The environment variable MINIAV_MALGO_GOCALLBACK=1 forces the
// Go callback (for comparison; bench/audio.sh -gocb).
//
// Elsewhere (and in that fallback) malgo's Go callback copies the period
// into a free slot (slots are buffers of package pool taken at Open;
// PoolStats shows them), publishes the slot's index on the same kind of
// ring and wakes Read with a non-blocking send on a one-slot channel.
// (malgo's own dispatch into Go looks the device up in a map under a mutex
// that only device initialisation and teardown also take.)
//
// Either way there are max(Config.Buffers, 2) slots for the stream plus
// 100 ms of audio, at least 4 periods, and the callback never allocates,
// never takes a lock and never waits for the consumer.
//
// When no slot is free (the consumer holds or has not yet read every slot)
// the period is dropped: Read reports it as Observer.Dropped(DropOverrun,
// n) with n in buffers, before it returns the next buffer. The callback
// cannot block, so with the Block policy a consumer slower than real time
// stalls the stream's queue, the slots fill up, and audio is dropped as
// overruns; no policy can make an audio device wait.
//
// The audio system's own buffer is sized to 250 ms (up to 64 periods), so
// a process stalled for less than that loses nothing upstream either.
//
// # Cost
//
// On a 2-core VM, capturing 48 kHz stereo s16 from PulseAudio with the C
// callback costs 0.25–0.29 s of CPU per minute of audio with 10 ms periods
// read from a pull stream (miniav.WithPull), 0.42–0.45 s from a channel
// stream, and 0.10–0.18 s with 100 ms periods. parec, at the same latency,
// costs 0.07–0.15 s at 10 ms and 0.04–0.15 s at 100 ms: the lower figures
// when the server sends data once per period, the higher when it sends
// every 5 ms (as a low-latency playback stream on the same sink makes it).
// Two threads wake per period where parec has one: miniaudio's PulseAudio
// thread, and the Go reader it wakes; a channel stream wakes a third (its
// capture goroutine hands off to the consumer). For small periods use a
// pull stream; bench/audio.sh measures all of it (BENCHMARKS.md). On a
// PulseAudio or PipeWire server the pure-Go backend/pulse, which reads
// the server's socket itself, costs less than parec with pull streams.
//
// # Timestamps and sequence numbers
//
// Sequence is the running index of the buffer's first sample frame since
// the stream started, counting dropped frames, so an overrun leaves a gap
// of exactly the dropped frames. DeviceTimestamp is that index as time
// (Sequence/rate), the sample clock. Timestamp is backend.Now() when the
// callback ran minus the duration of the frames from the buffer's first
// frame to the end of the callback's data: the estimated capture time of
// the first frame, late by the audio system's own latency.
//
// # Device loss and shutdown
//
// A stream ends with an error matching backend.ErrDeviceLost when
// miniaudio stops the device by itself (a server that went away, an
// unplugged device: reported by its stop callback at once, and otherwise
// checked every 100 ms once audio has stopped arriving; the C hand-off
// notices a silent stop 0.5 to 1 s after the last audio, so that a flowing
// stream never moves its wake-up deadline more than twice a second), or
// when no audio arrived for the watchdog interval. Opening gives up after
// 10 s and closing after 5 s
// (a hung sound server cannot hang the caller); what they left running is
// cleaned up in the background when miniaudio returns.
//
// miniaudio's null backend is enum value 14; malgo v0.11.24's BackendNull
// constant (13) is actually ma_backend_custom, so this package uses its
// own value.
package malgo

// Name and NullName are the backends' schemes.
const (
	Name     = "malgo"
	NullName = "malgo-null"
)
