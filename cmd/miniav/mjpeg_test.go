package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miniav-go/miniav/internal/testenv"
)

// MJPEG from the device is decoded for y4m on stdout: the header says the
// JPEG's layout and full range, and every frame carries its index.
func TestStdoutY4MDecoded(t *testing.T) {
	code, stdout, stderr := runCLI(t, "capture", "-format", "160x96@30 mjpeg", "-frames", "8", "-unpaced", "-policy", "block", "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "+decode:") {
		t.Errorf("the progress line does not say it decodes: %q", stderr)
	}
	hdr, frames := readY4M(t, bufio.NewReader(strings.NewReader(stdout)), 160, 96)
	if hdr != "YUV4MPEG2 W160 H96 F30:1 Ip A1:1 C420jpeg XCOLORRANGE=FULL\n" || len(frames) != 8 {
		t.Fatalf("header %q, %d frames", hdr, len(frames))
	}
	for k, f := range frames {
		if got := i420Index(t, f, 160, 96); got != uint32(k) {
			t.Fatalf("frame %d carries index %d", k, got)
		}
	}
}

// probe runs ffprobe on a file and returns its key=value lines.
func probe(t *testing.T, ffprobe string, args ...string) string {
	t.Helper()
	out, err := exec.Command(ffprobe, append([]string{"-v", "error", "-count_frames", "-show_entries", "stream=codec_name,width,height,nb_read_frames,r_frame_rate", "-of", "default=nw=1"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// decodeWithFFmpeg decodes a file to I420 with ffmpeg and returns each
// frame's index stamp.
func decodeWithFFmpeg(t *testing.T, ffmpeg string, w, h int, args ...string) []uint32 {
	t.Helper()
	cmd := exec.Command(ffmpeg, append(append([]string{"-v", "error"}, args...), "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "-")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg %v: %v\n%s", args, err, stderr.String())
	}
	_, frames := readY4M(t, bufio.NewReader(bytes.NewReader(out)), w, h)
	var idx []uint32
	for _, f := range frames {
		idx = append(idx, i420Index(t, f, w, h))
	}
	return idx
}

// The .avi and .mjpeg outputs keep the camera's JPEGs: ffprobe and ffmpeg
// read every frame, in order, at the stream's size and rate; -raw on
// stdout gives the same JPEGs for a pipe.
func TestCaptureMJPEGFiles(t *testing.T) {
	ffprobe := lookFF(t, "ffprobe")
	ffmpeg := lookFF(t, "ffmpeg")
	dir := testenv.TempDir(t)
	for _, name := range []string{"clip.avi", "clip.mjpeg"} {
		path := filepath.Join(dir, name)
		code, _, stderr := runCLI(t, "capture", "-format", "320x240@25 mjpeg", "-frames", "12", "-unpaced", "-policy", "block", "-o", path)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		args := []string{path}
		if strings.HasSuffix(name, ".mjpeg") {
			args = []string{"-f", "mjpeg", "-i", path}
		}
		got := probe(t, ffprobe, args[len(args)-1])
		for _, want := range []string{"codec_name=mjpeg", "width=320", "height=240", "nb_read_frames=12"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: ffprobe says\n%s\nwant %s", name, got, want)
			}
		}
		if name == "clip.avi" && !strings.Contains(got, "r_frame_rate=25/1") {
			t.Errorf("%s: ffprobe says\n%s\nwant r_frame_rate=25/1", name, got)
		}
		in := []string{"-i", path}
		if strings.HasSuffix(name, ".mjpeg") {
			in = []string{"-f", "mjpeg", "-i", path}
		}
		idx := decodeWithFFmpeg(t, ffmpeg, 320, 240, in...)
		if len(idx) != 12 {
			t.Fatalf("%s: ffmpeg decoded %d frames, want 12", name, len(idx))
		}
		for k, i := range idx {
			if i != uint32(k) {
				t.Fatalf("%s: frame %d carries index %d", name, k, i)
			}
		}
	}
	code, stdout, stderr := runCLI(t, "capture", "-format", "320x240@25 mjpeg", "-frames", "5", "-unpaced", "-policy", "block", "-raw", "-o", "-")
	if code != 0 {
		t.Fatalf("-raw: exit %d: %s", code, stderr)
	}
	if n := bytes.Count([]byte(stdout), []byte{0xFF, 0xD8, 0xFF}); n != 5 {
		t.Errorf("-raw MJPEG on stdout has %d JPEG starts, want 5", n)
	}
	raw := filepath.Join(dir, "raw.mjpeg")
	if err := os.WriteFile(raw, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if idx := decodeWithFFmpeg(t, ffmpeg, 320, 240, "-f", "mjpeg", "-i", raw); len(idx) != 5 || idx[4] != 4 {
		t.Errorf("-raw MJPEG: ffmpeg decoded indices %v", idx)
	}
}

// -decode with -raw writes the decoded planes; compressed outputs refuse
// streams that are not MJPEG.
func TestDecodeFlag(t *testing.T) {
	code, stdout, stderr := runCLI(t, "capture", "-format", "160x96@30 mjpeg", "-frames", "3", "-unpaced", "-policy", "block", "-decode", "-raw", "-o", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if len(stdout) != 3*160*96*3/2 {
		t.Fatalf("%d bytes of decoded I420, want %d", len(stdout), 3*160*96*3/2)
	}
	for k := range 3 {
		f := []byte(stdout[k*160*96*3/2 : (k+1)*160*96*3/2])
		if got := i420Index(t, f, 160, 96); got != uint32(k) {
			t.Errorf("frame %d carries index %d", k, got)
		}
	}
	dir := testenv.TempDir(t)
	for _, args := range [][]string{
		{"-format", "160x96 i420", "-o", filepath.Join(dir, "x.avi")},
		{"-format", "160x96 mjpeg", "-decode", "-o", filepath.Join(dir, "x.mjpeg")},
	} {
		code, _, stderr := runCLI(t, append([]string{"capture", "-frames", "1"}, args...)...)
		if code != 2 || !strings.Contains(stderr, "not MJPEG") {
			t.Errorf("%v: exit %d, %q; want exit 2 and \"not MJPEG\"", args, code, stderr)
		}
	}
}
