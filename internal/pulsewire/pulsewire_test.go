package pulsewire

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/internal/pulse"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(pulse.Main(m)) }

func dial(t *testing.T) *Conn {
	t.Helper()
	srv := pulse.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.Addr, "pulsewire test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The handshake, the server's defaults and its sources, as the test
// daemon was set up.
func TestServerInfoAndSources(t *testing.T) {
	c := dial(t)
	si, err := c.ServerInfo()
	if err != nil {
		t.Fatal(err)
	}
	if si.DefaultSink != pulse.Sink || si.DefaultSource != pulse.Mic || si.Package != "pulseaudio" {
		t.Fatalf("server info %+v", si)
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

// A record stream of the default sink's monitor delivers data at the
// requested rate.
func TestRecordStream(t *testing.T) {
	c := dial(t)
	const rate, frame = 16000, 4 // S16 stereo
	rs, err := c.CreateRecordStream(RecordConfig{
		SampleSpec: SampleSpec{Format: FormatS16LE, Channels: 2, Rate: rate},
		ChannelMap: []byte{PositionFrontLeft, PositionFrontRight},
		Source:     "@DEFAULT_MONITOR@", FragSize: rate / 100 * frame, AdjustLatency: true,
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
// another source: ReadData ends with ErrKilled.
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
	// The server refuses a source that does not exist.
	c2 := dial(t)
	_, err := c2.CreateRecordStream(RecordConfig{
		SampleSpec: SampleSpec{Format: FormatF32LE, Channels: 1, Rate: 48000},
		ChannelMap: []byte{PositionMono}, Source: "doomed.monitor",
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
