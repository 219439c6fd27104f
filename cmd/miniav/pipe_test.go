package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/testenv"
)

// readY4M parses a y4m stream of I420 frames and returns the header line
// and each frame's planes.
func readY4M(t *testing.T, r *bufio.Reader, w, h int) (hdr string, frames [][]byte) {
	t.Helper()
	hdr, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("y4m header: %v", err)
	}
	size := format.I420.FrameSize(w, h)
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF && line == "" {
			return hdr, frames
		}
		if line != "FRAME\n" {
			t.Fatalf("frame %d marker %q (%v)", len(frames), line, err)
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatalf("frame %d: %v", len(frames), err)
		}
		frames = append(frames, buf)
	}
}

func i420Index(t *testing.T, buf []byte, w, h int) uint32 {
	t.Helper()
	v := format.Video{Width: w, Height: h, PixelFormat: format.I420}
	cw, ch := (w+1)/2, (h+1)/2
	got, ok := testsrc.DecodeIndex(v, [][]byte{buf[:w*h], buf[w*h : w*h+cw*ch], buf[w*h+cw*ch:]}, []int{w, cw, cw})
	if !ok {
		t.Fatal("frame carries no index")
	}
	return got
}

// -o - writes the y4m stream to stdout and nothing else; the progress and
// the summary go to stderr.
func TestStdoutY4M(t *testing.T) {
	code, stdout, stderr := runCLI(t, "capture", "-format", "128x64@100 nv12", "-frames", "10", "-policy", "block", "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "captured 10 frames from testsrc:camera to stdout") {
		t.Fatalf("summary not on stderr: %q", stderr)
	}
	hdr, frames := readY4M(t, bufio.NewReader(strings.NewReader(stdout)), 128, 64)
	if hdr != "YUV4MPEG2 W128 H64 F100:1 Ip A1:1 C420jpeg\n" || len(frames) != 10 {
		t.Fatalf("header %q, %d frames", hdr, len(frames))
	}
	for k, f := range frames {
		if got := i420Index(t, f, 128, 64); got != uint32(k) {
			t.Fatalf("frame %d carries index %d", k, got)
		}
	}
}

// Audio on stdout is WAV whose sizes say "unknown length", followed by
// exactly the captured samples.
func TestStdoutWAV(t *testing.T) {
	code, stdout, stderr := runCLI(t, "capture", "-device", "testsrc:microphone?freq=1000", "-format", "16000 1ch s16", "-frames", "100", "-unpaced", "-policy", "block", "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b := []byte(stdout)
	le := binary.LittleEndian
	data := 100 * 160 * 2 // 100 periods of 10 ms, mono s16
	if len(b) != 44+data || string(b[:4]) != "RIFF" || le.Uint32(b[4:]) != 0xFFFFFFFF || string(b[8:16]) != "WAVEfmt " ||
		le.Uint16(b[20:]) != 1 || le.Uint16(b[22:]) != 1 || le.Uint32(b[24:]) != 16000 || le.Uint16(b[34:]) != 16 ||
		string(b[36:40]) != "data" || le.Uint32(b[40:]) != 0xFFFFFFFF {
		t.Fatalf("%d bytes, header % x", len(b), b[:min(44, len(b))])
	}
	cross, prev := 0, int16(0)
	for i := 44; i+2 <= len(b); i += 2 {
		s := int16(le.Uint16(b[i:]))
		if prev < 0 && s >= 0 {
			cross++
		}
		prev = s
	}
	if cross < 995 || cross > 1005 {
		t.Fatalf("%d rising zero crossings in 1 s, want ~1000", cross)
	}
}

// -raw writes the planes without stride padding or container, in the
// stream's own pixel format.
func TestRaw(t *testing.T) {
	for _, c := range []struct {
		fmt, out string
		pf       format.PixelFormat
	}{
		{"96x40 nv12", "-", format.NV12},
		{"96x40 i420", "file", format.I420},
		{"96x40 rgba", "-", format.RGBA},
	} {
		out := c.out
		if out == "file" {
			out = filepath.Join(testenv.TempDir(t), "x.raw")
		}
		code, stdout, stderr := runCLI(t, "capture", "-format", c.fmt, "-frames", "5", "-policy", "block", "-raw", "-o", out)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.fmt, code, stderr)
		}
		b := []byte(stdout)
		if c.out == "file" {
			var err error
			if b, err = os.ReadFile(out); err != nil {
				t.Fatal(err)
			}
		}
		size := c.pf.FrameSize(96, 40)
		if len(b) != 5*size {
			t.Fatalf("%s: %d bytes, want 5 frames of %d", c.fmt, len(b), size)
		}
		v := format.Video{Width: 96, Height: 40, PixelFormat: c.pf}
		for k := range 5 {
			planes, strides, n := v.PixelFormat.Planes(b[k*size:(k+1)*size], 96, 40)
			got, ok := testsrc.DecodeIndex(v, planes[:n], strides[:n])
			if !ok || got != uint32(k) {
				t.Fatalf("%s: frame %d carries index %d (%v)", c.fmt, k, got, ok)
			}
		}
	}
}

// lookFF finds ffmpeg's tools, which check the command's output files. The
// Windows binary run under Wine has none (Debian's are Linux programs); the
// same tests run on the Linux build.
func lookFF(t *testing.T, name string) string {
	t.Helper()
	if runtime.GOOS == "windows" && os.Getenv("MINIAV_WINE") != "" {
		t.Skipf("skipping: no Windows %s under Wine; the Linux build runs this test", name)
	}
	return testenv.LookPath(t, name)
}

// buildCLI builds the command once for the tests that run it as a process.
func buildCLI(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil && runtime.GOOS == "windows" {
		t.Skip("skipping: this test builds the command with go, which a Windows test binary run under Wine has not")
	}
	bin := filepath.Join(testenv.TempDir(t), "miniav")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// The stream on stdout is what ffprobe reads from a pipe: it counts every
// frame of the y4m, and every sample of the WAV.
func TestPipeIntoFFprobe(t *testing.T) {
	ffprobe := lookFF(t, "ffprobe")
	bin := buildCLI(t)
	probe := func(args ...string) string {
		t.Helper()
		script := `"$0" capture "$@" -o - | "$FFPROBE" -v error -count_frames -show_entries stream=codec_name,width,height,nb_read_frames,sample_rate,channels -show_entries format=duration -of default=nw=1 -`
		sh := exec.Command("sh", append([]string{"-c", script, bin}, args...)...)
		sh.Env = append(os.Environ(), "FFPROBE="+ffprobe)
		var stderr bytes.Buffer
		sh.Stderr = &stderr
		out, err := sh.Output()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "captured") {
			t.Fatalf("no summary on stderr: %q", stderr.String())
		}
		return string(out)
	}
	got := probe("-format", "320x240@30 i420", "-frames", "45", "-unpaced", "-policy", "block")
	for _, want := range []string{"codec_name=rawvideo", "width=320", "height=240", "nb_read_frames=45"} {
		if !strings.Contains(got, want) {
			t.Fatalf("ffprobe of the y4m pipe says:\n%s\nwant %s", got, want)
		}
	}
	got = probe("-device", "testsrc:microphone", "-format", "48000 2ch s16", "-frames", "150", "-unpaced", "-policy", "block")
	for _, want := range []string{"codec_name=pcm_s16le", "sample_rate=48000", "channels=2"} {
		if !strings.Contains(got, want) {
			t.Fatalf("ffprobe of the WAV pipe says:\n%s\nwant %s", got, want)
		}
	}
	// ffmpeg reads the unknown-length WAV to the end of the pipe: every
	// sample of 150 periods of 10 ms comes out.
	ffmpeg := lookFF(t, "ffmpeg")
	sh := exec.Command("sh", "-c", `"$0" capture -device testsrc:microphone -format "48000 2ch s16" -frames 150 -unpaced -policy block -o - | "$1" -v error -i - -f s16le -`, bin, ffmpeg)
	pcm, err := sh.Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	if want := 150 * 480 * 2 * 2; len(pcm) != want {
		t.Fatalf("ffmpeg decoded %d bytes of PCM from the pipe, want %d", len(pcm), want)
	}
}

// SIGINT mid-capture ends it as the user asked: the y4m is complete and
// whole, the summary printed, exit 0.
func TestInterrupt(t *testing.T) {
	bin := buildCLI(t)
	out := filepath.Join(testenv.TempDir(t), "i.y4m")
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		cmd := exec.Command(bin, "capture", "-format", "64x32@50 i420", "-duration", "60s", "-o", out)
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until frames are being written, then interrupt.
		sc := bufio.NewScanner(stderr)
		sc.Split(scanCRLF)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
			if strings.HasPrefix(sc.Text(), "frames ") && !strings.HasPrefix(sc.Text(), "frames 0 ") {
				break
			}
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		err = cmd.Wait()
		if err != nil {
			t.Fatalf("%v: %v; stderr:\n%s", sig, err, strings.Join(lines, "\n"))
		}
		m := regexp.MustCompile(`captured (\d+) frames .*interrupted`).FindStringSubmatch(stdout.String())
		if m == nil {
			t.Fatalf("%v: summary %q", sig, stdout.String())
		}
		n, _ := strconv.Atoi(m[1])
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		_, frames := readY4M(t, bufio.NewReader(f), 64, 32)
		f.Close()
		if len(frames) != n || n == 0 {
			t.Fatalf("%v: %d frames in the file, summary says %d", sig, len(frames), n)
		}
		if got := i420Index(t, frames[n-1], 64, 32); got < uint32(n-1) {
			t.Fatalf("%v: last frame carries index %d of %d", sig, got, n)
		}
	}
}

// scanCRLF splits the progress line (ended by \r) as well as lines.
func scanCRLF(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		return i + 1, data[:i], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// The first interrupt cancels; a second one aborts.
func TestInterruptsTwice(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	aborted := make(chan os.Signal, 1)
	stop := interrupts(cancel, func(s os.Signal) { aborted <- s })
	defer stop()
	self, _ := os.FindProcess(os.Getpid())
	if err := self.Signal(syscall.SIGINT); err != nil && runtime.GOOS == "windows" {
		t.Skipf("skipping: a process cannot send itself SIGINT on Windows: %v", err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("first SIGINT did not cancel")
	}
	select {
	case s := <-aborted:
		t.Fatalf("aborted on the first signal (%v)", s)
	case <-time.After(50 * time.Millisecond):
	}
	self.Signal(syscall.SIGTERM)
	select {
	case s := <-aborted:
		if s != syscall.SIGTERM || exitCode(s) != 143 {
			t.Fatalf("aborted with %v, exit %d", s, exitCode(s))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("second signal did not abort")
	}
}
