//go:build linux && cgo

package pipewire

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/testenv"
)

// publish starts gst-launch-1.0 publishing a Video/Source node name of
// videotestsrc pattern in gstFormat at 320x240, 30 fps, and returns it once
// the node is there.
func publish(t *testing.T, name, pattern, gstFormat string) *exec.Cmd {
	t.Helper()
	bin := testenv.LookPath(t, "gst-launch-1.0")
	cmd := exec.Command(bin, "-q", "videotestsrc", "pattern="+pattern, "is-live=true",
		"!", "video/x-raw,format="+gstFormat+",width=320,height=240,framerate=30/1",
		"!", "pipewiresink", "mode=provide", "client-name="+name,
		"stream-properties=props,media.class=Video/Source,node.name="+name+",node.description=Test")
	cmd.Env = append(os.Environ(), "GST_REGISTRY="+session.Dir+"/cache/gst-registry.bin")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		dump, _ := exec.Command("pw-dump").Output()
		if strings.Contains(string(dump), `"node.name": "`+name+`"`) {
			return cmd
		}
		if time.Now().After(deadline) {
			if _, err := exec.Command("gst-inspect-1.0", "pipewiresink").CombinedOutput(); err != nil {
				testenv.Missing(t, "GStreamer's pipewiresink (gstreamer1.0-pipewire): %v", err)
			}
			t.Fatalf("node %s did not appear within 10 s; gst-launch said:\n%s", name, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCamera(t *testing.T) {
	need(t)
	for _, c := range []struct {
		gst string
		pf  format.PixelFormat
	}{{"YUY2", format.YUYV}, {"NV12", format.NV12}} {
		t.Run(c.gst, func(t *testing.T) {
			name := "testcam-" + strings.ToLower(c.gst)
			gst := publish(t, name, "white", c.gst)
			src, err := Backend{}.Open(context.Background(), "camera/"+name, backend.Config{Observer: backend.NopObserver{}})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			in := src.Info()
			if in.Kind != backend.KindCamera || in.Video.Width != 320 || in.Video.Height != 240 || in.Video.PixelFormat != c.pf {
				t.Fatalf("Info %+v, want a 320x240 %v camera", in, c.pf)
			}
			start := time.Now()
			var last uint64
			frames := 0
			for time.Since(start) < time.Second {
				b := read(t, src, 5*time.Second)
				if b.Sequence <= last && last != 0 {
					t.Errorf("sequence %d after %d", b.Sequence, last)
				}
				last = b.Sequence
				frames++
				// videotestsrc white: Y 235, U and V 128 (BT.601 limited range)
				bad := 0
				for i := range b.NumPlanes {
					_, rows := c.pf.PlaneSize(i, 320, 240)
					bpl, _ := c.pf.PlaneSize(i, 320, 240)
					for y := range rows {
						row := b.Planes[i][y*b.Strides[i] : y*b.Strides[i]+bpl]
						for x, v := range row {
							want := byte(128)
							if (c.pf == format.YUYV && x%2 == 0) || (c.pf == format.NV12 && i == 0) {
								want = 235
							}
							if v != want {
								bad++
							}
						}
					}
				}
				b.Releaser.ReleaseBuffer(b.Token)
				if bad > 0 {
					t.Fatalf("frame %d: %d bytes differ from videotestsrc's white", b.Sequence, bad)
				}
			}
			fps := float64(frames) / time.Since(start).Seconds()
			t.Logf("%s: %d frames in 1 s (%.1f fps), sequence up to %d", c.gst, frames, fps, last)
			if fps < 25 || fps > 35 {
				t.Errorf("%.1f fps, want about 30", fps)
			}
			// The publisher going away ends the stream.
			gst.Process.Signal(syscall.SIGTERM)
			killed := time.Now()
			expectLost(t, src, killed)
		})
	}
}

func TestCameraDevices(t *testing.T) {
	need(t)
	publish(t, "testcam-listed", "black", "YUY2")
	devs, err := Backend{}.Devices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var cam, screen bool
	for _, d := range devs {
		t.Logf("%s %q %v %v", d.ID, d.Name, d.Kind, d.Attrs)
		if d.ID == "pipewire:camera/testcam-listed" && d.Kind == backend.KindCamera && d.Name == "Test" && d.Attrs["object.serial"] != "" {
			cam = true
		}
		if d.ID == "pipewire:screen" && d.Kind == backend.KindDisplay {
			screen = true
		}
	}
	if !cam || !screen {
		t.Errorf("devices %v: want pipewire:camera/testcam-listed (camera, named Test) and pipewire:screen", devs)
	}
}
