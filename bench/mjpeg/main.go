//go:build linux

// Command mjpeg measures the CPU time per frame of decoding an MJPEG clip
// (JPEGs back to back, as ffmpeg's mjpeg muxer writes them) with
// miniav's decoders and with pion/mediadevices' MJPEG decoder, each on one
// thread, and prints one line of key=value figures. bench/mjpeg.sh runs it
// beside ffmpeg.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"log"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/miniav-go/miniav/internal/jpegdec"
	"github.com/miniav-go/miniav/pool"
	"github.com/pion/mediadevices/pkg/frame"
)

func main() {
	clip := flag.String("clip", "", "MJPEG clip")
	tool := flag.String("tool", "turbo", "turbo, pure (miniav's image/jpeg path), pion (pion/mediadevices' frame decoder) or ffmpeg (its mjpeg decoder, -threads 1)")
	frames := flag.Int("frames", 600, "frames to decode (the clip is looped)")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	data, err := os.ReadFile(*clip)
	if err != nil {
		log.Fatal(err)
	}
	jpegs := split(data)
	if len(jpegs) == 0 {
		log.Fatalf("%s: no JPEG frames", *clip)
	}
	h, err := jpegdec.ParseHeader(jpegs[0])
	if err != nil {
		log.Fatal(err)
	}
	if *tool == "ffmpeg" {
		ffmpeg(*clip, h, *frames)
		return
	}
	var decode func(b []byte) error
	switch *tool {
	case "turbo", "pure":
		var d jpegdec.Decoder = jpegdec.NewPure()
		if *tool == "turbo" {
			t, err := jpegdec.NewTurbo()
			if err != nil {
				log.Fatal(err)
			}
			d = t
		}
		// As a decoding stream does: pooled planes, given back after use.
		p := pool.New()
		decode = func(b []byte) error {
			hh, err := jpegdec.ParseHeader(b)
			if err != nil {
				return err
			}
			pb, err := p.Get(hh.FrameSize())
			if err != nil {
				return err
			}
			err = d.Decode(b, hh, hh.TightPlanes(pb.Bytes()))
			pb.Release()
			return err
		}
	case "pion":
		d, err := frame.NewDecoder(frame.FormatMJPEG)
		if err != nil {
			log.Fatal(err)
		}
		decode = func(b []byte) error {
			img, release, err := d.Decode(b, h.Width, h.Height)
			if err != nil {
				return err
			}
			if _, ok := img.(*image.YCbCr); !ok {
				return fmt.Errorf("pion gave a %T", img)
			}
			release()
			return nil
		}
	default:
		log.Fatalf("unknown -tool %q", *tool)
	}
	for i := range min(20, *frames) { // warm-up
		if err := decode(jpegs[i%len(jpegs)]); err != nil {
			log.Fatal(err)
		}
	}
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	c0, t0 := cpu(), time.Now()
	for i := range *frames {
		if err := decode(jpegs[i%len(jpegs)]); err != nil {
			log.Fatalf("frame %d: %v", i, err)
		}
	}
	c1, wall := cpu(), time.Since(t0)
	runtime.ReadMemStats(&ms1)
	n := float64(*frames)
	fmt.Printf("tool=%s size=%dx%d layout=%v frames=%d cpu_ms=%.3f wall_ms=%.3f allocs=%.1f bytes=%.0f\n",
		*tool, h.Width, h.Height, h.PixelFormat, *frames,
		(c1-c0).Seconds()*1e3/n, wall.Seconds()*1e3/n,
		float64(ms1.Mallocs-ms0.Mallocs)/n, float64(ms1.TotalAlloc-ms0.TotalAlloc)/n)
}

// ffmpeg decodes the clip, looped, to the null muxer on one thread, and
// reports its CPU per frame: the difference between a run of frames and a
// run of a tenth as many, so its start-up does not count.
func ffmpeg(clip string, h jpegdec.Header, frames int) {
	run := func(n int) time.Duration {
		cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-threads", "1", "-filter_threads", "1",
			"-stream_loop", "-1", "-f", "mjpeg", "-c:v", "mjpeg", "-i", clip, "-frames:v", fmt.Sprint(n), "-f", "null", "-")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr // looping makes the null muxer warn of repeated timestamps
		if err := cmd.Run(); err != nil {
			log.Fatalf("ffmpeg: %v\n%s", err, stderr.Bytes())
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	short := max(frames/10, 1)
	run(short) // warm the page cache
	t0 := time.Now()
	long := run(frames)
	wall := time.Since(t0)
	d := long - run(short)
	fmt.Printf("tool=ffmpeg size=%dx%d layout=%v frames=%d cpu_ms=%.3f wall_ms=%.3f allocs=- bytes=-\n",
		h.Width, h.Height, h.PixelFormat, frames, d.Seconds()*1e3/float64(frames-short), wall.Seconds()*1e3/float64(frames))
}

// cpu is the process's user+system CPU time (GC included).
func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// split cuts a stream of JPEGs at each start-of-image marker.
func split(b []byte) [][]byte {
	soi := []byte{0xFF, 0xD8, 0xFF}
	var out [][]byte
	for {
		i := bytes.Index(b, soi)
		if i < 0 {
			return out
		}
		b = b[i:]
		j := bytes.Index(b[3:], soi)
		if j < 0 {
			return append(out, b)
		}
		out = append(out, b[:j+3])
		b = b[j+3:]
	}
}
