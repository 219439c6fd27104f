package pulsewire

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/internal/pulse"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(pulse.Main(m)) }

func dial(t *testing.T) *Conn {
	t.Helper()
	c, _ := dialSrv(t)
	return c
}

func dialSrv(t *testing.T) (*Conn, *pulse.Server) {
	t.Helper()
	srv := pulse.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.Addr, "pulsewire test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, srv
}

// The handshake, the server's defaults and its sources, as the test
// daemon was set up.
func TestServerInfoAndSources(t *testing.T) {
	c, srv := dialSrv(t)
	si, err := c.ServerInfo()
	if err != nil {
		t.Fatal(err)
	}
	if si.DefaultSink != pulse.Sink || si.DefaultSource != pulse.Mic {
		t.Fatalf("server info %+v", si)
	}
	// The server names itself: the package is "pulseaudio", or
	// "PulseAudio (on PipeWire 0.3.65)" for PipeWire's pulse server.
	if onPipeWire := strings.Contains(si.Package, "on PipeWire"); onPipeWire != (srv.Kind == pulse.PipeWire) ||
		(!onPipeWire && si.Package != "pulseaudio") {
		t.Fatalf("package %q from a %s server", si.Package, srv.Kind)
	}
	if v := c.ProtocolVersion(); v != Version {
		t.Errorf("protocol version %d, want %d (both servers speak more)", v, Version)
	}
	srcs, err := c.Sources()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]SourceInfo{}
	for _, s := range srcs {
		byName[s.Name] = s
	}
	mon, mic := byName[pulse.Monitor], byName[pulse.Mic]
	if mon.MonitorOf != pulse.Sink || mon.SampleSpec.Rate != pulse.Rate || mon.Props["device.class"] != "monitor" {
		t.Errorf("monitor %+v", mon)
	}
	if mic.MonitorOf != "" || mic.Description != "TestMic" || mic.SampleSpec.Rate != pulse.Rate {
		t.Errorf("mic %+v", mic)
	}
	if len(srcs) != 3 { // testsink.monitor, micsink.monitor, testmic
		t.Errorf("%d sources: %+v", len(srcs), srcs)
	}
}

// A record stream of the default sink's monitor (by name: PipeWire 0.3.65
// takes "@DEFAULT_MONITOR@" for the default source) delivers data at the
// requested rate.
func TestRecordStream(t *testing.T) {
	c := dial(t)
	const rate, frame = 16000, 4 // S16 stereo
	rs, err := c.CreateRecordStream(RecordConfig{
		SampleSpec: SampleSpec{Format: FormatS16LE, Channels: 2, Rate: rate},
		ChannelMap: []byte{PositionFrontLeft, PositionFrontRight},
		Source:     pulse.Monitor, FragSize: rate / 100 * frame, AdjustLatency: true,
		Props: []string{"media.name", "pulsewire test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Source != pulse.Monitor || rs.SampleSpec.Rate != rate || rs.FragSize == 0 {
		t.Fatalf("record stream %+v", rs)
	}
	if _, err := c.CreateRecordStream(RecordConfig{}); err == nil {
		t.Fatal("a second record stream on one connection")
	}
	buf := make([]byte, 4096)
	start := time.Now()
	total := 0
	for total < rate*frame { // one second
		n, err := c.ReadData(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n%frame != 0 {
			t.Fatalf("a read of %d bytes, not whole frames", n)
		}
		total += n
	}
	if el := time.Since(start); el < 800*time.Millisecond || el > 3*time.Second {
		t.Errorf("one second of audio took %v", el)
	}
}

// A source that goes away kills the record streams that may not move to
// another source: ReadData ends with ErrKilled. PipeWire's pulse server
// sends the kill only to clients of protocol 23 or later (before, the
// stream just went silent and this test hung there).
func TestRecordStreamKilled(t *testing.T) {
	c := dial(t)
	srv := pulse.Shared(t)
	unload := srv.NullSink(t, "doomed")
	if _, err := c.CreateRecordStream(RecordConfig{
		SampleSpec: SampleSpec{Format: FormatF32LE, Channels: 1, Rate: 48000},
		ChannelMap: []byte{PositionMono}, Source: "doomed.monitor", FragSize: 480 * 4, AdjustLatency: true, NoMove: true,
	}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	if _, err := c.ReadData(buf); err != nil {
		t.Fatal(err)
	}
	unload()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.ReadData(buf)
		if errors.Is(err, ErrKilled) {
			break
		}
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("after the source went: %v", err)
		}
	}
	// The server refuses a source that does not exist, for a stream that
	// may not move (PipeWire links one that may to the default source).
	c2 := dial(t)
	_, err := c2.CreateRecordStream(RecordConfig{
		SampleSpec: SampleSpec{Format: FormatF32LE, Channels: 1, Rate: 48000},
		ChannelMap: []byte{PositionMono}, Source: "doomed.monitor", NoMove: true,
	})
	var se *ServerError
	if !errors.As(err, &se) || se.Code != ErrCodeNoEntity {
		t.Fatalf("recording a missing source: %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Dial(ctx, "unix:/nonexistent/native", "x"); err == nil {
		t.Fatal("dialled a missing socket")
	}
	if _, err := Dial(ctx, "bogus:thing", "x"); err == nil {
		t.Fatal("dialled a bogus address")
	}
}

func TestAddresses(t *testing.T) {
	t.Setenv("PULSE_SERVER", "")
	t.Setenv("XDG_RUNTIME_DIR", "/run/x")
	if a := Addresses(""); len(a) != 1 || a[0] != "unix:/run/x/pulse/native" {
		t.Errorf("default %v", a)
	}
	a := Addresses("{abc}unix:/a/native /b/native tcp:host")
	if len(a) != 3 || a[0] != "unix:/a/native" || a[1] != "unix:/b/native" || a[2] != "tcp:host" {
		t.Errorf("list %v", a)
	}
}

// A tagged structure reads back what was built.
func TestTagstructRoundTrip(t *testing.T) {
	var w Builder
	w.U32(7)
	w.U8(3)
	w.Bool(true)
	w.Bool(false)
	w.String("name")
	w.String("")
	w.Arbitrary([]byte{1, 2, 3})
	w.SampleSpec(SampleSpec{FormatF32LE, 2, 44100})
	w.ChannelMap([]byte{1, 2})
	w.CVolume([]uint32{0x10000, 5})
	w.PropList("a", "b", "key", "")
	r := NewReader(w.Bytes())
	if r.U32() != 7 || r.U8() != 3 || !r.Bool() || r.Bool() || r.Text() != "name" || r.Text() != "" {
		t.Fatal("scalars")
	}
	if x := r.Arbitrary(); string(x) != "\x01\x02\x03" {
		t.Fatalf("arbitrary %v", x)
	}
	if ss := r.SampleSpec(); ss != (SampleSpec{FormatF32LE, 2, 44100}) {
		t.Fatalf("sample spec %v", ss)
	}
	if m := r.ChannelMap(); string(m) != "\x01\x02" {
		t.Fatalf("channel map %v", m)
	}
	if v := r.CVolume(); len(v) != 2 || v[0] != 0x10000 || v[1] != 5 {
		t.Fatalf("cvolume %v", v)
	}
	if p := r.PropList(); len(p) != 2 || p["a"] != "b" || p["key"] != "" {
		t.Fatalf("proplist %v", p)
	}
	if r.Err() != nil || r.Len() != 0 {
		t.Fatalf("err %v, %d left", r.Err(), r.Len())
	}
	// Wrong tags and truncation are protocol errors, and sticky.
	r = NewReader(w.Bytes())
	if _ = r.Text(); !errors.Is(r.Err(), ErrProtocol) || r.U32() != 0 {
		t.Fatalf("reading a u32 as a string: %v", r.Err())
	}
	r = NewReader(w.Bytes()[:3])
	if r.U32(); !errors.Is(r.Err(), ErrProtocol) {
		t.Fatal("truncated u32 read")
	}
}

// A GET_SOURCE_INFO_LIST reply carries, per source, the fields of the
// connection's protocol version: two sources with ports and formats, as a
// version-32 server sends them, decode to both, and the same bytes read
// at version 13 do not.
func TestSourcesByVersion(t *testing.T) {
	var w Builder
	for i, name := range []string{"alsa_input.pci", "alsa_output.pci.monitor"} {
		w.U32(uint32(i))
		w.String(name)
		w.String("Source " + name)
		w.SampleSpec(SampleSpec{FormatS16LE, 2, 44100})
		w.ChannelMap([]byte{PositionFrontLeft, PositionFrontRight})
		w.U32(7) // owner module
		w.CVolume([]uint32{VolumeNorm, VolumeNorm})
		w.Bool(false) // mute
		w.U32(InvalidIndex)
		w.String("") // monitor of
		w.b = be.AppendUint64(append(w.b, tagUsec), 0)
		w.String("alsa")
		w.U32(0) // flags
		w.PropList("device.class", "sound")
		w.b = be.AppendUint64(append(w.b, tagUsec), 0)
		w.b = be.AppendUint32(append(w.b, tagVolume), VolumeNorm) // base volume
		w.U32(0)                                                  // state
		w.U32(65537)                                              // volume steps
		w.U32(3)                                                  // card
		w.U32(2)                                                  // ports
		for _, port := range []string{"analog-input-mic", "analog-input-linein"} {
			w.String(port)
			w.String("Port " + port)
			w.U32(100) // priority
			w.U32(2)   // available
		}
		w.String("analog-input-mic") // active port
		w.U8(1)                      // formats
		w.b = append(w.b, tagFormatInfo)
		w.U8(1) // PCM
		w.PropList()
	}
	srcs, err := parseSources(NewReader(w.Bytes()), 32)
	if err != nil || len(srcs) != 2 || srcs[0].Name != "alsa_input.pci" || srcs[1].Name != "alsa_output.pci.monitor" ||
		srcs[1].Props["device.class"] != "sound" || srcs[1].SampleSpec.Rate != 44100 {
		t.Fatalf("at version 32: %+v, %v", srcs, err)
	}
	if srcs, err := parseSources(NewReader(w.Bytes()), MinVersion); err == nil && len(srcs) == 2 && srcs[1].Name == "alsa_output.pci.monitor" {
		t.Fatalf("the version-32 reply read as version %d: %+v", MinVersion, srcs)
	} else if err != nil && !errors.Is(err, ErrProtocol) {
		t.Fatalf("at version %d: %v, want ErrProtocol", MinVersion, err)
	}
}
