// Package chaos holds miniav's chaos run, a test that exists only under
// the build tag chaos (Linux, cgo):
//
//	go test -race -tags chaos ./internal/chaos
//
// Many goroutines open, read, hold, retain, clone, release, cancel and
// close streams (channel and pull streams through miniav.Open) on every
// backend the run has: testsrc, x11 on a private Xvfb, and pulse and malgo
// on a private PulseAudio daemon, while the test kills (SIGKILL) and
// restarts the X server and the audio daemon at random moments. At the end
// nothing may be left: no goroutine, file descriptor or SysV segment of
// the process, no outstanding frame or pooled buffer; every error returned
// must match one of the library's sentinels (errors.Is), and no frame's
// bytes may have changed while it was held.
//
// Flags (after -args): -chaos.seed to replay a run's decisions (the seed
// is printed; timing still varies), -chaos.duration (or CHAOS_DURATION,
// default 60s) for how long faults are injected, -chaos.workers for the
// number of concurrent stream workers. CHAOS_REPORT=path writes the run's
// figures to a file as a Markdown table. See RELIABILITY.md at the root of
// the module.
package chaos
