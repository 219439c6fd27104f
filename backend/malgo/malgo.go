//go:build cgo && !js

package malgo

/*
#include <stdlib.h>
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

func init() {
	backend.Register(Backend{name: Name})
	backend.Register(Backend{name: NullName, null: true})
}

// openTimeout bounds how long Open waits for miniaudio.
const openTimeout = 10 * time.Second

// Backend is the miniaudio audio backend ("malgo") or its null backend
// ("malgo-null").
type Backend struct {
	name string
	null bool
}

// Name implements backend.Backend.
func (b Backend) Name() string { return b.name }

// Kinds implements backend.Kinder: audio inputs and loopback sources.
func (Backend) Kinds() []backend.Kind {
	return []backend.Kind{backend.KindMicrophone, backend.KindLoopback}
}

// newContext initialises a miniaudio context with the first of p.backends
// that works.
func newContext(p params, logf malgo.LogProc) (*malgo.AllocatedContext, malgo.Backend, error) {
	quietLibs()
	var cfg malgo.ContextConfig
	if p.server != "" {
		cs := C.CString(p.server)
		defer C.free(unsafe.Pointer(cs))
		cfg.Pulse.PServerName = (*byte)(unsafe.Pointer(cs))
	}
	var errs []error
	for _, b := range p.backends {
		if b == maPulse {
			// miniaudio leaks a context whose connection fails: try
			// the server first (pulseprobe_linux.go).
			if err := pulseReachable(p.server); err != nil {
				if len(p.backends) == 1 {
					errs = append(errs, err)
				}
				continue
			}
		}
		c, err := malgo.InitContext([]malgo.Backend{b}, cfg, logf)
		if err == nil {
			if b == maPulse {
				patchPulse(c)
			}
			return c, b, nil
		}
		if len(p.backends) == 1 {
			errs = append(errs, fmt.Errorf("%s: %v", backendName(b), err))
		}
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("no miniaudio backend initialised (no sound server or device?)"))
	}
	return nil, 0, fmt.Errorf("malgo: %w: %w", errors.Join(errs...), backend.ErrNotFound)
}

// entry is one enumerated device.
type entry struct {
	raw      malgo.DeviceID
	id       string // rawID
	name     string
	def      bool // listed as the default of its kind
	sysDef   bool // the system's default input or output
	kind     backend.Kind
	loopback bool   // WASAPI loopback of a playback device
	output   string // for loopback devices: the output's rawID
}

func (e entry) matches(addr string) bool { return addr == e.id || addr == e.name }

// enumerate lists capture devices (and, on WASAPI, playback devices as
// loopback devices).
func enumerate(c *malgo.AllocatedContext, b malgo.Backend) (capture, playback []entry, err error) {
	caps, err := c.Devices(malgo.Capture)
	if err != nil {
		return nil, nil, fmt.Errorf("malgo: %s: list capture devices: %v: %w", backendName(b), err, backend.ErrDeviceLost)
	}
	plays, err := c.Devices(malgo.Playback)
	if err != nil {
		return nil, nil, fmt.Errorf("malgo: %s: list playback devices: %v: %w", backendName(b), err, backend.ErrDeviceLost)
	}
	defSink := ""
	for _, d := range plays {
		e := entry{raw: d.ID, id: rawID(b, d.ID), name: d.Name(), def: d.IsDefault != 0, sysDef: d.IsDefault != 0}
		if e.def {
			defSink = e.id
		}
		playback = append(playback, e)
	}
	for _, d := range caps {
		e := entry{raw: d.ID, id: rawID(b, d.ID), name: d.Name(), def: d.IsDefault != 0, sysDef: d.IsDefault != 0, kind: backend.KindMicrophone}
		if b == maPulse && strings.HasSuffix(e.id, ".monitor") {
			e.kind, e.output = backend.KindLoopback, strings.TrimSuffix(e.id, ".monitor")
			e.def = e.def || (defSink != "" && e.output == defSink)
		}
		capture = append(capture, e)
	}
	return capture, playback, nil
}

// enumCtx caches one context per backend and parameters for Devices, so
// that polling does not initialise a context (and leak malgo's per-context
// log) every time.
var enumCtx struct {
	sync.Mutex
	m map[string]cachedCtx
}

type cachedCtx struct {
	c *malgo.AllocatedContext
	b malgo.Backend
}

// Devices implements backend.Backend. With no sound system it lists
// nothing. It gives up after openTimeout or when ctx is done.
func (b Backend) Devices(ctx context.Context) ([]backend.Device, error) {
	_, p, _ := parseAddr("", b.null)
	res := make(chan []backend.Device, 1)
	go func() { res <- b.devices(p) }()
	t := time.NewTimer(openTimeout)
	defer t.Stop()
	select {
	case out := <-res:
		return out, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, fmt.Errorf("malgo: list devices: %w (%v): %w", errTimeout, openTimeout, backend.ErrBusy)
	}
}

func (b Backend) devices(p params) []backend.Device {
	key := b.name + "\x00" + p.server + "\x00" + os.Getenv("PULSE_SERVER")
	enumCtx.Lock()
	defer enumCtx.Unlock()
	if enumCtx.m == nil {
		enumCtx.m = make(map[string]cachedCtx)
	}
	for attempt := 0; attempt < 2; attempt++ {
		cc, ok := enumCtx.m[key]
		if !ok {
			c, be, err := newContext(p, nil)
			if err != nil {
				return nil
			}
			cc = cachedCtx{c, be}
			enumCtx.m[key] = cc
		}
		capture, playback, err := enumerate(cc.c, cc.b)
		if err != nil { // the server may have restarted: start over once
			delete(enumCtx.m, key)
			freeContext(cc.c)
			continue
		}
		return b.describe(cc.c, cc.b, capture, playback)
	}
	return nil
}

func (b Backend) describe(c *malgo.AllocatedContext, be malgo.Backend, capture, playback []entry) []backend.Device {
	var out []backend.Device
	add := func(e entry, kind malgo.DeviceType, addr string) {
		attrs := map[string]string{"backend": backendName(be), "id": e.id}
		if e.output != "" {
			attrs["output"] = e.output
		}
		var native []string
		if info, err := c.DeviceInfo(kind, e.raw, malgo.Shared); err == nil {
			for _, f := range info.Formats {
				native = append(native, nativeString(f))
			}
		}
		if len(native) > 0 {
			attrs["native"] = strings.Join(native, ", ")
		}
		out = append(out, backend.Device{
			ID:      b.name + ":" + addr,
			Name:    e.name,
			Kind:    e.kind,
			Backend: b.name,
			Default: e.def && be != maNull, // silence is never the system's microphone
			Attrs:   attrs,
			Audio:   caps(c, kind, e.raw),
		})
	}
	for _, e := range capture {
		add(e, malgo.Capture, escapeID(e.id))
	}
	if be == maWasapi {
		for _, e := range playback {
			e.kind, e.output = backend.KindLoopback, e.id
			e.name = "Loopback of " + e.name
			add(e, malgo.Playback, "loopback/"+escapeID(e.id))
		}
	}
	return out
}

func nativeString(f malgo.DataFormat) string {
	var parts []string
	if sf := fromMalgo(f.Format); sf != 0 {
		parts = append(parts, sf.String())
	}
	if f.Channels != 0 {
		parts = append(parts, strconv.Itoa(int(f.Channels))+"ch")
	}
	if f.SampleRate != 0 {
		parts = append(parts, strconv.Itoa(int(f.SampleRate))+"Hz")
	}
	if len(parts) == 0 {
		return "any"
	}
	return strings.Join(parts, " ")
}

// caps lists the device's native formats followed by what miniaudio's
// conversion makes of them: every sample format, 1–254 channels,
// 8–384 kHz.
func caps(c *malgo.AllocatedContext, kind malgo.DeviceType, id malgo.DeviceID) []format.AudioCaps {
	var out []format.AudioCaps
	if info, err := c.DeviceInfo(kind, id, malgo.Shared); err == nil {
		for _, f := range info.Formats {
			ac := format.AudioCaps{MinChannels: int(f.Channels), MaxChannels: int(f.Channels)}
			if sf := fromMalgo(f.Format); sf != 0 {
				ac.SampleFormats = []format.SampleFormat{sf}
			}
			if f.SampleRate != 0 {
				ac.Rates = []int{int(f.SampleRate)}
			}
			out = append(out, ac)
		}
	}
	return append(out, format.AudioCaps{
		SampleFormats: []format.SampleFormat{format.U8, format.S16, format.S24, format.S32, format.F32},
		MinChannels:   1, MaxChannels: maxChannels, MinRate: minRate, MaxRate: maxRate,
	})
}

// Limits of miniaudio's conversion.
const (
	maxChannels = 254
	minRate     = 8000
	maxRate     = 384000
)

// sampleFormats pairs miniav's sample formats with miniaudio's.
var sampleFormats = [...]struct {
	f format.SampleFormat
	m malgo.FormatType
}{
	{format.U8, malgo.FormatU8},
	{format.S16, malgo.FormatS16},
	{format.S24, malgo.FormatS24},
	{format.S32, malgo.FormatS32},
	{format.F32, malgo.FormatF32},
}

func toMalgo(f format.SampleFormat) malgo.FormatType {
	for _, p := range sampleFormats {
		if p.f == f {
			return p.m
		}
	}
	return malgo.FormatUnknown
}

func fromMalgo(m malgo.FormatType) format.SampleFormat {
	for _, p := range sampleFormats {
		if p.m == m {
			return p.f
		}
	}
	return format.SampleUnknown
}

// Open implements backend.Backend.
func (b Backend) Open(ctx context.Context, addr string, cfg backend.Config) (backend.Source, error) {
	dev, p, err := parseAddr(addr, b.null)
	if err != nil {
		return nil, err
	}
	a := cfg.Audio
	if (a.SampleFormat != 0 && toMalgo(a.SampleFormat) == malgo.FormatUnknown) ||
		a.Channels < 0 || a.Channels > maxChannels ||
		(a.SampleRate != 0 && (a.SampleRate < minRate || a.SampleRate > maxRate)) ||
		a.PeriodFrames < 0 || (a.SampleRate != 0 && a.PeriodFrames > a.SampleRate) {
		return nil, fmt.Errorf("malgo: audio format %v (want u8/s16/s24/s32/f32, 1-%d channels, %d-%d Hz, at most 1 s per period): %w",
			a, maxChannels, minRate, maxRate, backend.ErrNotSupported)
	}
	obs := cfg.Observer
	if obs == nil {
		obs = backend.NopObserver{}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	s := newSource(obs)

	// Exactly one side owns the result: res is unbuffered, so either Open
	// receives it (and returns the source or the error), or Open has given
	// up and closed abandon, and the opening goroutine undoes an open that
	// succeeded late. (With a buffered res, both could see a success and
	// both tear the device down.)
	type result struct{ err error }
	res := make(chan result)
	abandon := make(chan struct{})
	go func() {
		err := s.open(dev, p, a, cfg.Buffers, logger)
		select {
		case res <- result{err}:
		case <-abandon: // Open gave up: undo what succeeded late
			if err == nil {
				uninit(s.dev, s.mctx)
				s.teardown()
			}
		}
	}()
	t := time.NewTimer(openTimeout)
	defer t.Stop()
	select {
	case r := <-res:
		if r.err != nil {
			return nil, r.err
		}
		return s, nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-t.C:
		err = fmt.Errorf("malgo: open %q: %w (%v)", addr, errTimeout, openTimeout)
	}
	close(abandon)
	return nil, err
}

// open initialises a context and the device, allocates the slots for the
// negotiated format and starts capture.
func (s *source) open(addr string, p params, a format.Audio, buffers int, logger *slog.Logger) (err error) {
	logf := func(msg string) { logger.Debug("miniaudio: " + strings.TrimSpace(msg)) }
	c, be, err := newContext(p, logf)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			uninit(s.dev, c)
			s.dev = nil
			s.teardown()
		}
	}()
	capture, playback, err := enumerate(c, be)
	if err != nil {
		return err
	}
	dc := malgo.DefaultDeviceConfig(malgo.Capture)
	var target *entry
	kind := backend.KindMicrophone
	name := "default input"
	switch {
	case addr == "":
		for i := range capture {
			if capture[i].sysDef {
				kind, name = capture[i].kind, capture[i].name
				break
			}
		}
	case addr == "loopback" || strings.HasPrefix(addr, "loopback/"):
		out := strings.TrimPrefix(strings.TrimPrefix(addr, "loopback"), "/")
		kind, name = backend.KindLoopback, "loopback of the default output"
		var sink *entry
		for i := range playback {
			if (out == "" && playback[i].sysDef) || (out != "" && playback[i].matches(out)) {
				sink = &playback[i]
				break
			}
		}
		if out != "" && sink == nil {
			return fmt.Errorf("malgo: %s: no output %q: %w", backendName(be), out, backend.ErrNotFound)
		}
		switch be {
		case maWasapi:
			dc = malgo.DefaultDeviceConfig(malgo.Loopback)
			if sink != nil {
				target, name = sink, "loopback of "+sink.name
			}
			if !p.watchdogSet {
				p.watchdog = 0 // WASAPI loopback is silent while nothing plays
			}
		case maPulse:
			if sink == nil {
				return fmt.Errorf("malgo: pulseaudio: no default output: %w", backend.ErrNotFound)
			}
			for i := range capture {
				if capture[i].kind == backend.KindLoopback && capture[i].output == sink.id {
					target, name = &capture[i], capture[i].name
				}
			}
			if target == nil {
				return fmt.Errorf("malgo: pulseaudio: output %q has no monitor source: %w", sink.id, backend.ErrNotFound)
			}
		default:
			return fmt.Errorf("malgo: %s has no loopback capture: %w", backendName(be), backend.ErrNotSupported)
		}
	default:
		for i := range capture {
			if capture[i].matches(addr) {
				target = &capture[i]
				kind, name = target.kind, target.name
				break
			}
		}
		if target == nil {
			return fmt.Errorf("malgo: %s: no input %q: %w", backendName(be), addr, backend.ErrNotFound)
		}
	}

	dc.SampleRate = uint32(a.SampleRate)
	dc.Capture.Format = toMalgo(a.SampleFormat)
	dc.Capture.Channels = uint32(a.Channels)
	dc.Capture.ShareMode = malgo.Shared
	if a.PeriodFrames > 0 {
		dc.PeriodSizeInFrames = uint32(a.PeriodFrames)
	} else {
		dc.PeriodSizeInFrames, dc.PeriodSizeInMilliseconds = 0, defaultPeriodMS
	}
	// The audio system's own buffer (maxlength on PulseAudio) is periods ×
	// period; miniaudio's default of 3 periods overflows when the process
	// stalls for 30 ms. Ask for about deviceBuffer: capture latency stays
	// one period.
	rate := a.SampleRate
	if rate == 0 {
		rate = 48000 // a guess; the device's rate is known only after init
	}
	period := a.PeriodFrames
	if period == 0 {
		period = rate * defaultPeriodMS / 1000
	}
	dc.Periods = uint32(min(max(3, (rate*int(deviceBuffer/time.Millisecond)/1000+period-1)/period), 64))
	dc.Pulse.StreamNameCapture = "miniav capture"
	if target != nil {
		id := target.raw
		ptr := id.Pointer() // C memory: miniaudio reads it during init
		defer C.free(ptr)
		dc.Capture.DeviceID = ptr
	}
	dev, err := malgo.InitDevice(c.Context, dc, malgo.DeviceCallbacks{Data: s.onData, Stop: s.onStop})
	if err != nil {
		if dc.DeviceType == malgo.Loopback && errors.Is(err, malgo.ErrInvalidArgs) {
			// The output exists (it was just listed) but the audio system
			// will not capture it: Wine 8's WASAPI grants the loopback
			// client and then refuses its capture service.
			return fmt.Errorf("malgo: %s: open %s: the audio system refused loopback capture (%v): %w", backendName(be), name, err, backend.ErrNotSupported)
		}
		return fmt.Errorf("malgo: %s: open %s: %v: %w", backendName(be), name, err, openErr(err))
	}
	s.dev, s.mctx = dev, c
	got := format.Audio{
		SampleRate:   int(dev.SampleRate()),
		Channels:     int(dev.CaptureChannels()),
		SampleFormat: fromMalgo(dev.CaptureFormat()),
		PeriodFrames: a.PeriodFrames,
	}
	if got.PeriodFrames == 0 {
		got.PeriodFrames = got.SampleRate * defaultPeriodMS / 1000
	}
	if got.SampleFormat == 0 || got.Channels == 0 || got.SampleRate == 0 || got.PeriodFrames == 0 {
		return fmt.Errorf("malgo: %s: %s negotiated an unusable format %v: %w", backendName(be), name, got, backend.ErrNotSupported)
	}
	mode := backendName(be)
	if dc.DeviceType == malgo.Loopback {
		mode += " loopback"
	}
	s.watchdog = p.watchdog
	if be != maNull {
		probe := p
		probe.backends = []malgo.Backend{be}
		s.probe = func() error {
			if be == maPulse {
				// libpulse directly: a miniaudio context whose
				// connection fails leaks (pulseprobe_linux.go), and
				// the probe runs when the server may just have died.
				return pulseReachable(p.server)
			}
			c, _, err := newContext(probe, nil)
			if err == nil {
				freeContext(c)
			}
			return err
		}
	}
	// The stream's buffers, plus room for the callback to run ahead of
	// Read by ahead (audio systems deliver in bursts, the process may stall).
	extra := max(extraSlots, int((int64(got.SampleRate)*int64(ahead)/int64(time.Second)+int64(got.PeriodFrames)-1)/int64(got.PeriodFrames)))
	nslots := max(buffers, 2) + extra
	if f := installFast(dev, got, nslots); f != nil {
		s.useFast(got, f)
	} else if err := s.alloc(got, nslots); err != nil {
		return err
	}
	s.info = backend.Info{Kind: kind, Audio: got, Mode: "miniaudio " + mode + ": " + name}
	if err := dev.Start(); err != nil {
		return fmt.Errorf("malgo: %s: start %s: %v: %w", backendName(be), name, err, backend.ErrDeviceLost)
	}
	return nil
}

// defaultPeriodMS is the period when Config.Audio.PeriodFrames is 0.
const defaultPeriodMS = 10

// deviceBuffer is how much audio the audio system buffers for a stream
// (up to 64 periods).
const deviceBuffer = 250 * time.Millisecond

// openErr maps a miniaudio init error onto a backend sentinel.
func openErr(err error) error {
	switch {
	case errors.Is(err, malgo.ErrAccessDenied):
		return backend.ErrPermissionDenied
	case errors.Is(err, malgo.ErrBusy), errors.Is(err, malgo.ErrAlreadyInUse):
		return backend.ErrBusy
	case errors.Is(err, malgo.ErrFormatNotSupported), errors.Is(err, malgo.ErrDeviceTypeNotSupported), errors.Is(err, malgo.ErrShareModeNotSupported):
		return backend.ErrNotSupported
	}
	return backend.ErrNotFound
}
