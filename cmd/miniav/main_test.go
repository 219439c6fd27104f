package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image/png"
	"io"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestDevices(t *testing.T) {
	code, out, _ := runCLI(t, "devices")
	if code != 0 || !strings.Contains(out, "testsrc:camera") || !strings.Contains(out, "testsrc:microphone") || !strings.Contains(out, "I420") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "devices", "-kind", "microphone")
	if code != 0 || strings.Contains(out, "testsrc:camera") || !strings.Contains(out, "s16,f32") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

// The default capture writes a y4m whose frames carry consecutive indices.
func TestCaptureY4M(t *testing.T) {
	dir := testenv.TempDir(t)
	out := filepath.Join(dir, "a.y4m")
	// Unpaced: a paced source loses the ticks of a stalled machine, and
	// the indices would jump.
	code, stdout, stderr := runCLI(t, "capture", "-format", "128x64@100 i420", "-frames", "12", "-policy", "block", "-unpaced", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "captured 12 frames") || !strings.Contains(stderr, "frames 12") {
		t.Fatalf("stdout %q stderr %q", stdout, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := bufio.NewReader(f)
	hdr, _ := r.ReadString('\n')
	if hdr != "YUV4MPEG2 W128 H64 F100:1 Ip A1:1 C420jpeg\n" {
		t.Fatalf("header %q", hdr)
	}
	v := format.Video{Width: 128, Height: 64, PixelFormat: format.I420}
	size := v.PixelFormat.FrameSize(128, 64)
	for k := range 12 {
		if line, _ := r.ReadString('\n'); line != "FRAME\n" {
			t.Fatalf("frame %d marker %q", k, line)
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		got, ok := testsrc.DecodeIndex(v, [][]byte{buf[:128*64], buf[128*64 : 128*64+64*32], buf[128*64+64*32:]}, []int{128, 64, 64})
		if !ok || got != uint32(k) {
			t.Fatalf("frame %d carries index %d (%v)", k, got, ok)
		}
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatal("trailing bytes after 12 frames")
	}
}

func TestCaptureWAV(t *testing.T) {
	out := filepath.Join(testenv.TempDir(t), "tone.wav")
	code, _, stderr := runCLI(t, "capture", "-device", "testsrc:microphone?freq=1000", "-format", "16000 2ch f32", "-frames", "50", "-unpaced", "-policy", "block", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	data := 50 * 160 * 2 * 4 // 50 periods of 10 ms, stereo f32
	if string(b[:4]) != "RIFF" || string(b[8:16]) != "WAVEfmt " || le.Uint16(b[20:]) != 3 || le.Uint16(b[22:]) != 2 ||
		le.Uint32(b[24:]) != 16000 || le.Uint16(b[34:]) != 32 || le.Uint32(b[40:]) != uint32(data) || len(b) != 44+data || le.Uint32(b[4:]) != uint32(36+data) {
		t.Fatalf("bad header or size: %d bytes, header % x", len(b), b[:44])
	}
	// Zero crossings of the left channel over 0.5 s give the tone.
	cross, prev := 0, float32(0)
	for i := 44; i+8 <= len(b); i += 8 {
		s := math.Float32frombits(le.Uint32(b[i:]))
		if prev < 0 && s >= 0 {
			cross++
		}
		prev = s
	}
	if cross < 495 || cross > 505 {
		t.Fatalf("%d rising zero crossings in 0.5 s, want ~500 for 1 kHz", cross)
	}
}

func TestCapturePNG(t *testing.T) {
	dir := testenv.TempDir(t)
	code, _, stderr := runCLI(t, "capture", "-format", "256x64 nv12", "-frames", "3", "-o", filepath.Join(dir, "f-%02d.png"), "-policy", "block")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for k := range 3 {
		f, err := os.Open(filepath.Join(dir, "f-0"+string(rune('0'+k))+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		x := 200
		r, g, b, _ := img.At(x, 60).RGBA()
		want := testsrc.BarRGB(testsrc.BarAt(x, 256, uint64(k)))
		if d := int(r>>8) - int(want[0]); d < -3 || d > 3 || int(g>>8)-int(want[1]) > 3 || int(b>>8)-int(want[2]) > 3 {
			t.Fatalf("frame %d pixel %d,%d,%d want %v", k, r>>8, g>>8, b>>8, want)
		}
	}
}

func TestBadInput(t *testing.T) {
	dir := testenv.TempDir(t)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"capture", "-device", "testsrc:nope", "-o", "null"}, 1, "device not found"},
		{[]string{"capture", "-device", "bogus:thing", "-o", "null"}, 1, "device not found"},
		{[]string{"capture", "-format", "641x480", "-o", "null"}, 1, "not supported"},
		{[]string{"capture", "-format", "sideways", "-o", "null"}, 2, "unknown pixel format"},
		{[]string{"capture", "-o", filepath.Join(dir, "no/such/dir/x.y4m")}, 1, notExist(t, dir)},
		{[]string{"capture", "-o", filepath.Join(dir, "x.mp4")}, 2, "unsupported file type"},
		{[]string{"capture", "-device", "testsrc:microphone", "-o", filepath.Join(dir, "x.y4m")}, 2, "unsupported file type"},
		{[]string{"capture", "-policy", "sometimes"}, 1, "unknown policy"},
		{[]string{"capture", "-frames", "-1"}, 2, "negative"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"devices", "-kind", "toaster"}, 2, "unknown kind"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, c.args...)
		lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1
		if code != c.code || !strings.Contains(stderr, c.msg) || lines != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line with %q", c.args, code, stderr, c.code, c.msg)
		}
	}
}

// notExist is the OS's words for a file in a directory that does not exist
// ("no such file or directory"; "Path not found." under Wine).
func notExist(t *testing.T, dir string) string {
	_, err := os.Open(filepath.Join(dir, "no/such/dir/x"))
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		t.Fatalf("opening a file in a missing directory: %v", err)
	}
	return pe.Err.Error()
}

func TestMetricsAddr(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuf
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"capture", "-metrics-addr", "127.0.0.1:0", "-duration", "30s", "-o", "null", "-format", "64x32@100"}, io.Discard, &stderr)
	}()
	re := regexp.MustCompile(`metrics at (http://\S+)`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("no metrics address in %q", stderr.String())
	}
	var body string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		if regexp.MustCompile(`miniav_frames_delivered_total\{stream="capture"\} [1-9]`).MatchString(body) {
			break
		}
	}
	if !strings.Contains(body, `miniav_streams_open{stream="capture"} 1`) {
		t.Fatalf("scrape:\n%s", body)
	}
	cancel()
	if code := <-done; code != 0 { // interrupted: ends as asked
		t.Fatalf("exit %d after interrupt", code)
	}
}

type syncBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}
func (s *syncBuf) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.buf.String() }
