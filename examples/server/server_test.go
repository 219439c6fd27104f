package main

import (
	"context"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newTestServer(t *testing.T, v format.Video) (*Server, *httptest.Server) {
	t.Helper()
	s := New("testsrc:camera", v)
	s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ts := httptest.NewServer(s.Handler()) // listens on 127.0.0.1
	t.Cleanup(ts.Close)
	return s, ts
}

// scrape reads /metrics over HTTP and parses it with the Prometheus text
// parser, returning the value of each family summed over its series, and
// drops by reason.
func scrape(t *testing.T, url string) (map[string]float64, map[string]float64) {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	vals, drops := map[string]float64{}, map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			v := value(m)
			vals[name] += v
			if name == "miniav_frames_dropped_total" {
				for _, l := range m.GetLabel() {
					if l.GetName() == "reason" {
						drops[l.GetValue()] += v
					}
				}
			}
		}
	}
	return vals, drops
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}

func waitIdle(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		vals, _ := scrape(t, url)
		if vals["miniav_streams_open"] == 0 && vals["miniav_buffers_outstanding"] == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("captures still running: streams_open %v, outstanding %v", vals["miniav_streams_open"], vals["miniav_buffers_outstanding"])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSnapshot(t *testing.T) {
	_, ts := newTestServer(t, format.Video{Width: 320, Height: 240, PixelFormat: format.I420, FrameRate: format.FPS(30)})
	resp, err := http.Get(ts.URL + "/snapshot.jpg")
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(resp.Body)
	resp.Body.Close()
	if err != nil || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("decode: %v (%s)", err, resp.Header.Get("Content-Type"))
	}
	if img.Bounds().Dx() != 320 || img.Bounds().Dy() != 240 {
		t.Fatalf("size %v", img.Bounds())
	}
	// The first frame has the bars unscrolled; the JPEG carries the
	// camera's YCbCr as is, so the decoder's colours are YCbCrToRGB of the
	// bars' values (within JPEG's loss).
	for bar := range 8 {
		x := (2*bar+1)*320/16 + 4 // a little off centre: chroma blocks straddle nothing
		c := testsrc.BarYUV(testsrc.BarAt(x, 320, 0))
		wr, wg, wb := color.YCbCrToRGB(c[0], c[1], c[2])
		r, g, b, _ := img.At(x, 200).RGBA()
		if !near(r>>8, wr) || !near(g>>8, wg) || !near(b>>8, wb) {
			t.Errorf("bar %d: got %d,%d,%d want %d,%d,%d", bar, r>>8, g>>8, b>>8, wr, wg, wb)
		}
	}
	waitIdle(t, ts.URL)
	resp, _ = http.Get(ts.URL + "/snapshot.jpg?x")
	resp.Body.Close()
	bad := New("testsrc:nope", format.Video{})
	rec := httptest.NewRecorder()
	bad.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/snapshot.jpg", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("unknown device: status %d", rec.Code)
	}
}

func near(a uint32, b uint8) bool { d := int(a) - int(b); return d >= -16 && d <= 16 }

// readParts reads n MJPEG parts and checks each is a JPEG.
func readParts(resp *http.Response, n int) error {
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	mr := multipart.NewReader(resp.Body, params["boundary"])
	for range n {
		p, err := mr.NextPart()
		if err != nil {
			return err
		}
		if _, err := jpeg.DecodeConfig(p); err != nil {
			return err
		}
	}
	return nil
}

// Many clients stream at once; when they disconnect every capture stops.
func TestMJPEGClientsDisconnect(t *testing.T) {
	_, ts := newTestServer(t, format.Video{Width: 160, Height: 120, PixelFormat: format.I420, FrameRate: format.FPS(60)})
	const clients = 20
	var wg sync.WaitGroup
	started := make(chan struct{}, clients)
	release := make(chan struct{})
	errs := make(chan error, clients)
	for range clients {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/stream.mjpeg", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err
				started <- struct{}{}
				return
			}
			defer resp.Body.Close()
			if err := readParts(resp, 3); err != nil {
				errs <- err
			}
			started <- struct{}{}
			<-release // stay connected until every client streams
		})
	}
	for range clients {
		<-started
	}
	vals, _ := scrape(t, ts.URL)
	if vals["miniav_streams_open"] != clients {
		t.Errorf("streams_open = %v with %d clients connected", vals["miniav_streams_open"], clients)
	}
	d1 := vals["miniav_frames_delivered_total"]
	time.Sleep(100 * time.Millisecond)
	if vals2, _ := scrape(t, ts.URL); vals2["miniav_frames_delivered_total"] <= d1 {
		t.Errorf("delivered_total did not move: %v then %v", d1, vals2["miniav_frames_delivered_total"])
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	waitIdle(t, ts.URL)
}

// A consumer slower than the camera makes the stream drop its oldest
// frames, and the scrape shows it.
func TestDropsShowInMetrics(t *testing.T) {
	_, ts := newTestServer(t, format.Video{Width: 640, Height: 480, PixelFormat: format.I420, FrameRate: format.FPS(1000)})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/stream.mjpeg", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := readParts(resp, 20); err != nil {
		t.Fatal(err)
	}
	_, drops := scrape(t, ts.URL)
	cancel()
	resp.Body.Close()
	if drops["queue_oldest"] == 0 {
		t.Fatalf("no queue_oldest drops while encoding 640x480 JPEG at 1000 fps: %v", drops)
	}
	waitIdle(t, ts.URL)
}

func TestStatsJSON(t *testing.T) {
	s, ts := newTestServer(t, format.Video{Width: 64, Height: 32, PixelFormat: format.I420, FrameRate: format.FPS(100)})
	resp, err := http.Get(ts.URL + "/snapshot.jpg")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitIdle(t, ts.URL)
	st, err := s.Stats()
	if err != nil || st.Delivered < 1 || st.StreamsOpen != 0 || st.Outstanding != 0 {
		t.Fatalf("%+v %v", st, err)
	}
	resp, err = http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !contains(string(body), `src="/stream.mjpeg"`) {
		t.Fatalf("index: %d", resp.StatusCode)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
