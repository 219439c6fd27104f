package pulse

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(Main(m)) }

// The daemon lists its sinks and sources, and the monitor of testsink
// records what paplay plays into it.
func TestServer(t *testing.T) {
	s := StartT(t)
	out, err := s.Command("pactl", "list", "short", "sources").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{Monitor, Mic} {
		if !bytes.Contains(out, []byte(want)) {
			t.Fatalf("sources lack %s:\n%s", want, out)
		}
	}
	if err := s.Play(Sink, ToneWAV(t, 440, Rate, 2, 3*time.Second, 0.5)); err != nil {
		t.Fatal(err)
	}
	rec := s.Command("parec", "--device="+Monitor, "--raw", "--rate=48000", "--channels=1", "--format=s16le", "--latency-msec=20")
	r, err := rec.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	// Read 1.5 s of audio; the tone lasts 3 s.
	buf := bytes.NewBuffer(make([]byte, 0, 2*Rate*3/2))
	_, err = io.CopyN(buf, r, 2*Rate*3/2)
	rec.Process.Kill()
	rec.Wait()
	if err != nil {
		t.Fatal(err)
	}
	peak := 0
	for i := 0; i+1 < buf.Len(); i += 2 {
		v := int(int16(binary.LittleEndian.Uint16(buf.Bytes()[i:])))
		peak = max(peak, v, -v)
	}
	if peak < 10000 {
		t.Fatalf("monitor recorded peak %d of %d bytes, want the tone (about 16384)", peak, buf.Len())
	}
}
