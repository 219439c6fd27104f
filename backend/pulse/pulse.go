//go:build !js

package pulse

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/pulsewire"
)

func init() { backend.Register(Backend{}) }

// Backend is the PulseAudio capture backend.
type Backend struct{}

// Name implements backend.Backend.
func (Backend) Name() string { return Name }

// Kinds implements backend.Kinder.
func (Backend) Kinds() []backend.Kind {
	return []backend.Kind{backend.KindMicrophone, backend.KindLoopback}
}

// dialTimeout bounds connecting and the first requests.
const dialTimeout = 5 * time.Second

// clientName is the application name the server shows.
const clientName = "miniav"

// Limits of the server's conversion.
const (
	maxChannels = 32
	maxRate     = 384000
)

// sampleFormats pairs miniav's sample formats with the server's.
var sampleFormats = [...]struct {
	f  format.SampleFormat
	pa uint8
}{
	{format.U8, pulsewire.FormatU8}, {format.S16, pulsewire.FormatS16LE}, {format.S24, pulsewire.FormatS24LE},
	{format.S32, pulsewire.FormatS32LE}, {format.F32, pulsewire.FormatF32LE},
}

func toPulse(f format.SampleFormat) (uint8, bool) {
	for _, p := range sampleFormats {
		if p.f == f {
			return p.pa, true
		}
	}
	return 0, false
}

func fromPulse(pa uint8) format.SampleFormat {
	for _, p := range sampleFormats {
		if p.pa == pa {
			return p.f
		}
	}
	return format.SampleUnknown
}

// parseAddr splits "NAME?server=ADDR".
func parseAddr(addr string) (source, server string, err error) {
	source, query, _ := strings.Cut(addr, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("pulse: bad parameters %q: %w", query, backend.ErrNotSupported)
	}
	for k := range q {
		if k != "server" {
			return "", "", fmt.Errorf("pulse: unknown parameter %q (want server): %w", k, backend.ErrNotSupported)
		}
	}
	return source, q.Get("server"), nil
}

// dial connects with a bounded handshake. A server that cannot be reached,
// or breaks the connection during the handshake, is backend.ErrNotFound.
func dial(parent context.Context, server string) (*pulsewire.Conn, error) {
	ctx, cancel := context.WithTimeout(parent, dialTimeout)
	defer cancel()
	c, err := pulsewire.Dial(ctx, server, clientName)
	if err != nil {
		if ctx.Err() == nil && unreachable(err) {
			return nil, fmt.Errorf("pulse: no sound server at %v: %w: %w", pulsewire.Addresses(server), err, backend.ErrNotFound)
		}
		if perr := parent.Err(); perr != nil {
			return nil, perr
		}
		// A server that accepted the connection but broke it, or did not
		// finish the handshake within dialTimeout, is no server either.
		return nil, fmt.Errorf("pulse: no working sound server at %v: %w: %w", pulsewire.Addresses(server), err, backend.ErrNotFound)
	}
	return c, nil
}

// openFailed is the error of a request of Open that failed without an
// answer from the server: ctx's error once it is done, else the connection
// broke or the server killed the request (it went away during Open),
// backend.ErrDeviceLost, or another refusal, backend.ErrNotSupported.
func openFailed(ctx context.Context, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	var se *pulsewire.ServerError
	if errors.As(err, &se) && se.Code != pulsewire.ErrCodeKilled {
		return fmt.Errorf("pulse: %s: the server refused: %w: %w", what, err, backend.ErrNotSupported)
	}
	return fmt.Errorf("pulse: %s: the connection to the server broke: %w: %w", what, err, backend.ErrDeviceLost)
}

func unreachable(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOTDIR)
}

// Devices implements backend.Backend. No reachable server is no devices,
// not an error.
func (Backend) Devices(ctx context.Context) ([]backend.Device, error) {
	c, err := dial(ctx, "")
	if errors.Is(err, backend.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer c.Close()
	defer c.Bind(ctx)()
	si, err := c.ServerInfo()
	if err != nil {
		return nil, fmt.Errorf("pulse: server info: %w", err)
	}
	srcs, err := c.Sources()
	if err != nil {
		return nil, fmt.Errorf("pulse: list sources: %w", err)
	}
	out := make([]backend.Device, 0, len(srcs))
	for _, s := range srcs {
		d := backend.Device{
			ID:      Name + ":" + s.Name,
			Name:    s.Description,
			Kind:    backend.KindMicrophone,
			Backend: Name,
			Default: s.Name == si.DefaultSource,
			Attrs: map[string]string{"source": s.Name, "driver": s.Driver, "server": si.Package + " " + si.Version,
				"native": nativeString(s.SampleSpec)},
			Audio: caps(s.SampleSpec),
		}
		if s.MonitorOf != "" {
			d.Kind = backend.KindLoopback
			d.Default = s.MonitorOf == si.DefaultSink
			d.Attrs["monitor_of"] = s.MonitorOf
		}
		if d.Name == "" || d.Name == "(null)" {
			d.Name = s.Name
		}
		out = append(out, d)
	}
	return out, nil
}

func nativeString(ss pulsewire.SampleSpec) string {
	f := fromPulse(ss.Format)
	return fmt.Sprintf("%s %dch %dHz", f, ss.Channels, ss.Rate)
}

// caps: the source's native format first, then everything the server
// converts to.
func caps(ss pulsewire.SampleSpec) []format.AudioCaps {
	var out []format.AudioCaps
	if f := fromPulse(ss.Format); f != 0 {
		out = append(out, format.AudioCaps{SampleFormats: []format.SampleFormat{f},
			MinChannels: int(ss.Channels), MaxChannels: int(ss.Channels), Rates: []int{int(ss.Rate)}})
	}
	return append(out, format.AudioCaps{
		SampleFormats: []format.SampleFormat{format.U8, format.S16, format.S24, format.S32, format.F32},
		MinChannels:   1, MaxChannels: maxChannels, MinRate: 1, MaxRate: maxRate,
	})
}

// channelMap is the server's default map for n channels: mono, stereo,
// else auxiliary channels.
func channelMap(n int) []byte {
	switch n {
	case 1:
		return []byte{pulsewire.PositionMono}
	case 2:
		return []byte{pulsewire.PositionFrontLeft, pulsewire.PositionFrontRight}
	}
	m := make([]byte, n)
	for i := range m {
		m[i] = byte(pulsewire.PositionAux0 + i)
	}
	return m
}

// defaultPeriodMS is the period when Config.Audio.PeriodFrames is 0.
const defaultPeriodMS = 10

// Open implements backend.Backend.
func (Backend) Open(ctx context.Context, addr string, cfg backend.Config) (backend.Source, error) {
	name, server, err := parseAddr(addr)
	if err != nil {
		return nil, err
	}
	a := cfg.Audio
	if _, ok := toPulse(a.SampleFormat); (a.SampleFormat != 0 && !ok) || a.Channels < 0 || a.Channels > maxChannels ||
		a.SampleRate < 0 || a.SampleRate > maxRate || a.PeriodFrames < 0 || (a.SampleRate != 0 && a.PeriodFrames > a.SampleRate) {
		return nil, fmt.Errorf("pulse: audio format %v (want u8/s16/s24/s32/f32, 1-%d channels, up to %d Hz, at most 1 s per period): %w",
			a, maxChannels, maxRate, backend.ErrNotSupported)
	}
	c, err := dial(ctx, server)
	if err != nil {
		return nil, err
	}
	s, err := open(ctx, c, name, a, cfg)
	if err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

func open(ctx context.Context, c *pulsewire.Conn, name string, a format.Audio, cfg backend.Config) (*source, error) {
	stop := c.Bind(ctx)
	defer stop()
	if a.SampleFormat == 0 || a.Channels == 0 || a.SampleRate == 0 {
		si, err := c.ServerInfo()
		if err != nil {
			return nil, openFailed(ctx, "server info", err)
		}
		if a.SampleFormat == 0 {
			if a.SampleFormat = fromPulse(si.SampleSpec.Format); a.SampleFormat == 0 {
				a.SampleFormat = format.S16
			}
		}
		if a.Channels == 0 {
			a.Channels = int(si.SampleSpec.Channels)
		}
		if a.SampleRate == 0 {
			a.SampleRate = int(si.SampleSpec.Rate)
		}
	}
	if a.PeriodFrames == 0 {
		a.PeriodFrames = max(a.SampleRate*defaultPeriodMS/1000, 1)
	}
	pf, _ := toPulse(a.SampleFormat)
	periodBytes := a.PeriodFrames * a.FrameBytes()
	source, kind := name, backend.KindMicrophone
	switch name {
	case Loopback:
		// By name: PipeWire's pulse server (0.3.65) takes
		// "@DEFAULT_MONITOR@" for the default source, the microphone.
		mon, err := defaultMonitor(c)
		if err != nil {
			return nil, openFailed(ctx, "find the default sink's monitor", err)
		}
		if mon == "" {
			return nil, fmt.Errorf("pulse: the default sink has no monitor source: %w", backend.ErrNotFound)
		}
		source, kind = mon, backend.KindLoopback
	case "":
	default:
		if strings.HasSuffix(name, ".monitor") {
			kind = backend.KindLoopback
		}
	}
	queued := max(cfg.Buffers, 4)
	rs, err := c.CreateRecordStream(pulsewire.RecordConfig{
		SampleSpec:    pulsewire.SampleSpec{Format: pf, Channels: uint8(a.Channels), Rate: uint32(a.SampleRate)},
		ChannelMap:    channelMap(a.Channels),
		Source:        source,
		MaxLength:     uint32(queued * periodBytes),
		FragSize:      uint32(periodBytes),
		AdjustLatency: true,
		NoMove:        name != "" && name != Loopback, // the defaults follow the server's default
		Props:         []string{"media.name", "miniav capture", "media.role", "production"},
	})
	var se *pulsewire.ServerError
	switch {
	case errors.As(err, &se) && se.Code == pulsewire.ErrCodeNoEntity:
		return nil, fmt.Errorf("pulse: no source %q: %w", name, backend.ErrNotFound)
	case errors.As(err, &se) && (se.Code == pulsewire.ErrCodeInvalid || se.Code == pulsewire.ErrCodeNotSupp):
		return nil, fmt.Errorf("pulse: the server refused %v from %q: %v: %w", a, name, err, backend.ErrNotSupported)
	case errors.As(err, &se) && se.Code == pulsewire.ErrCodeAccess:
		return nil, fmt.Errorf("pulse: recording %q: %v: %w", name, err, backend.ErrPermissionDenied)
	case errors.As(err, &se) && se.Code == pulsewire.ErrCodeBusy:
		return nil, fmt.Errorf("pulse: recording %q: %v: %w", name, err, backend.ErrBusy)
	case err != nil:
		return nil, openFailed(ctx, "create record stream", err)
	}
	mode := fmt.Sprintf("pulse native protocol: %s (server fragment %d B, source latency %v)", rs.Source, rs.FragSize, rs.Latency)
	return newSource(c, backend.Info{Kind: kind, Audio: a, Mode: mode}, cfg.Observer), nil
}

// defaultMonitor is the name of the source that monitors the server's
// default sink ("" if none does).
func defaultMonitor(c *pulsewire.Conn) (string, error) {
	si, err := c.ServerInfo()
	if err != nil {
		return "", err
	}
	srcs, err := c.Sources()
	if err != nil {
		return "", err
	}
	for _, s := range srcs {
		if s.MonitorOf != "" && s.MonitorOf == si.DefaultSink {
			return s.Name, nil
		}
	}
	return "", nil
}
