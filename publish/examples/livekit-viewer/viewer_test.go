package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/livekit/protocol/auth"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	_ "github.com/miniav-go/miniav/backend/all"
	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/chromium"
	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/publish"
	"github.com/miniav-go/miniav/publish/internal/lkjs"
	"github.com/miniav-go/miniav/publish/internal/lktest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testsrc published by Go into a real LiveKit node; headless Chromium
// joins the room on the same node with the livekit-client SDK and draws
// the decoded frames (see watch for what is asserted).
func TestViewerInChromium(t *testing.T) {
	bundle := needBrowserNet(t)
	srv := lktest.Start(t, lktest.Options{})
	watch(t, bundle, srv.URL, srv.URL)
}

// The same across two LiveKit nodes on one Redis: the Go publisher joins
// through node A, Chromium through node B.
func TestViewerInChromiumTwoNodes(t *testing.T) {
	bundle := needBrowserNet(t)
	redis := lktest.StartRedis(t)
	a := lktest.Start(t, lktest.Options{Redis: redis})
	b := lktest.Start(t, lktest.Options{Redis: redis})
	watch(t, bundle, a.URL, b.URL)
}

// needBrowserNet returns the SDK bundle's path, or skips (fails with
// CI=true) where the SDK is missing or the network is not a closed one:
// Chromium gathers ICE candidates on every interface, so the test runs in
// a network namespace without a default route (scripts/test.d/publish.sh
// gives it a veth pair whose ends both stay inside, which LiveKit's Go
// SDK needs, see lktest.NeedICE).
func needBrowserNet(t *testing.T) string {
	t.Helper()
	bundle := lkjs.Need(t)
	if hasDefaultRoute(t) {
		testenv.Missing(t, "run in a network namespace without a default route (unshare -n plus a veth pair), as scripts/test.d/publish.sh does")
	}
	lktest.NeedICE(t)
	return bundle
}

// hasDefaultRoute reports whether the IPv4 or IPv6 routing table has a
// route to everywhere, that is whether packets can leave this host.
func hasDefaultRoute(t *testing.T) bool {
	t.Helper()
	for _, f := range []struct{ path, dst string }{
		{"/proc/net/route", "00000000"},
		{"/proc/net/ipv6_route", "00000000000000000000000000000000"},
	} {
		fh, err := os.Open(f.path)
		if err != nil {
			continue // no IPv6, or not Linux: nothing to go by there
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			// IPv4: Iface Destination ...; IPv6: dst dst_len ... iface last.
			if f.path == "/proc/net/route" && len(fields) > 1 && fields[1] == f.dst {
				fh.Close()
				return true
			}
			if f.path != "/proc/net/route" && len(fields) == 10 && fields[0] == f.dst && fields[1] == "00" && fields[9] != "lo" {
				fh.Close()
				return true
			}
		}
		fh.Close()
	}
	return false
}

// frameLog is one entry of the page's viewer.log: a frame drawn on the
// canvas, when it was presented, and the RGBA of the rows probed.
type frameLog struct {
	Track string    `json:"track"`
	T     float64   `json:"t"` // ms since the epoch
	W     int       `json:"w"`
	H     int       `json:"h"`
	Rows  [][]uint8 `json:"rows"`
}

type inbound struct {
	FramesDecoded, FramesDropped, KeyFramesDecoded, Width, Height int
}

// watch publishes testsrc at 640x360, 30 fps, into a room through pubURL,
// serves the viewer page for the room at subURL and loads it in Chromium,
// which reports every frame it draws: the stamped index and a row across
// the colour bars. At least minFrames frames are drawn, at 5 fps or more,
// every index readable and strictly increasing, the bars' colours within
// a tolerance of the pattern's for that index; the browser's decoder
// counted at least as many frames; and the capture-to-presentation
// latency is positive (a wrong index or clock would show) with a median
// under a second. It logs the rate and the latency.
func watch(t *testing.T, bundle, pubURL, subURL string) {
	const w, h, room = 640, 360, "browser"
	const minFrames, want = 60, 120
	interval := time.Second / 30
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	s, err := miniav.Open(ctx, "testsrc:camera", miniav.WithPull(),
		miniav.WithVideo(format.Video{Width: w, Height: h, PixelFormat: format.I420, FrameRate: format.FPS(30)}))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// testsrc's frame k is captured k intervals after frame 0; one frame
	// read here fixes when, on the wall clock the browser's timestamps use.
	first, err := s.Next()
	if err != nil {
		t.Fatal(err)
	}
	wall0, seq0 := backend.Epoch().Add(first.Timestamp()), first.Sequence()
	first.Release()
	captured := func(k uint32) time.Time { return wall0.Add(time.Duration(int64(k)-int64(seq0)) * interval) }

	pctx, stopPub := context.WithCancel(ctx)
	var pubWG sync.WaitGroup
	var pubStats publish.TrackStats
	var pubErr error
	pubWG.Add(1)
	go func() {
		defer pubWG.Done()
		pubStats, pubErr = publish.PublishLiveKit(pctx, s, pubURL, room, lktest.APIKey, lktest.APISecret,
			publish.WithIdentity("camera"), publish.WithEncoder(publish.WithBitrate(3_000_000)))
	}()
	// stopPublisher ends the publication and returns PublishLiveKit's
	// error; it may be called more than once.
	stopPublisher := func() error { stopPub(); pubWG.Wait(); return pubErr }
	defer stopPublisher()

	vctx, stopViewer := context.WithCancel(ctx)
	defer stopViewer()
	ready := make(chan string, 1)
	served := make(chan error, 1)
	go func() {
		served <- run(vctx, []string{"-addr", "127.0.0.1:0", "-url", subURL, "-room", room,
			"-key", lktest.APIKey, "-secret", lktest.APISecret, "-bundle", bundle, "-server-ice=false"}, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-served:
		t.Fatalf("viewer: %v", err)
	}

	bctx, closeBrowser := chromium.Start(t, ctx,
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	)
	// The page's console (with the SDK's debug log), shown if the test
	// fails; the browser starts first, so that only one action starts it.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting the browser: %v", err)
	}
	// Chromium gathers ICE candidates on the host's interfaces only for a
	// page allowed to use the camera or microphone (else it uses one
	// wildcard socket, whose loopback checks LiveKit does not answer); the
	// page asks for neither, so grant them to its origin here.
	for _, name := range []string{"camera", "microphone"} {
		if _, err := chromedp.CallBrowser(bctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: "http://" + addr,
		}); err != nil {
			t.Fatalf("granting %s: %v", name, err)
		}
	}
	var console consoleLog
	cctx, stopConsole := context.WithCancel(bctx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range chromedp.Console(cctx) {
			if err != nil {
				return
			}
			console.add(string(m.Type) + ": " + m.Text)
		}
	}()
	defer func() {
		stopConsole()
		<-consoleDone
		if t.Failed() {
			t.Logf("the page's console:\n%s", console.String())
		}
	}()
	if err := chromedp.Do(bctx, chromedp.Navigate("http://"+addr+"/?debug=1")); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	stampY := testsrc.StampRect(w, h).Dy() / 2
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](fmt.Sprintf("viewer.probeRows = [%d, %d]", stampY, h/2))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](`viewer.frames > 0`, chromedp.WithPollingTimeout(60*time.Second))); err != nil {
		state, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#state")))
		perr := stopPublisher()
		t.Fatalf("Chromium drew no frame (room state %q, publisher %v): %v", state, perr, err)
	}
	// Collect the page's log until want frames or 20 s.
	var got []frameLog
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		l, err := chromedp.Run(bctx, chromedp.Evaluate[[]frameLog](`viewer.take()`))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l...)
	}
	stats, err := chromedp.Run(bctx, chromedp.Evaluate[[]inbound](`viewer.stats()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("inbound stats: %v", err)
	}
	closeBrowser()
	stopViewer()
	if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("viewer: %v", err)
	}

	if len(got) < minFrames {
		t.Fatalf("Chromium drew %d frames in 20 s, want at least %d", len(got), minFrames)
	}
	const tol = 32 // per channel, 0..255: VP8 at 3 Mbit/s, and the browser's YUV to RGB (4 to 16 seen)
	var idx []uint32
	var lat []time.Duration
	worst, off := 0, 0
	for i, f := range got {
		if f.W != w || f.H != h || len(f.Rows) != 2 || len(f.Rows[0]) != 4*w || len(f.Rows[1]) != 4*w {
			t.Fatalf("frame %d: %dx%d with %d rows, want %dx%d and the 2 probed", i, f.W, f.H, len(f.Rows), w, h)
		}
		k, ok := stampIndex(f.Rows[0], w, h)
		if !ok {
			t.Fatalf("frame %d: the index stamp is unreadable: luma %v", i, luma(f.Rows[0])[:64])
		}
		if len(idx) > 0 && k <= idx[len(idx)-1] {
			t.Fatalf("frame %d has index %d after %d: not strictly increasing", i, k, idx[len(idx)-1])
		}
		idx = append(idx, k)
		// The middle row, away from the bars' edges, has bar BarAt's colour.
		row := f.Rows[1]
		for x := 8; x < w-8; x += 2 {
			b := testsrc.BarAt(x, w, uint64(k))
			if testsrc.BarAt(x-8, w, uint64(k)) != b || testsrc.BarAt(x+8, w, uint64(k)) != b {
				continue
			}
			c := testsrc.BarRGB(b)
			e := max(absDiff(row[4*x], c[0]), absDiff(row[4*x+1], c[1]), absDiff(row[4*x+2], c[2]))
			worst = max(worst, e)
			if e > tol {
				off++
			}
		}
		at := time.UnixMicro(int64(f.T * 1000))
		lat = append(lat, at.Sub(captured(k)))
	}
	if off > 0 {
		t.Errorf("%d bar pixels more than %d off the pattern's colour (worst %d)", off, tol, worst)
	}
	span := time.Duration((got[len(got)-1].T - got[0].T) * float64(time.Millisecond))
	fps := float64(len(got)-1) / span.Seconds()
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	skipped := int(idx[len(idx)-1]-idx[0]) + 1 - len(idx)
	t.Logf("Chromium drew %d frames (indices %d..%d, %d not drawn) at %.1f fps; worst bar colour error %d; capture to presentation p50 %v, p99 %v, min %v; inbound-rtp %+v",
		len(got), idx[0], idx[len(idx)-1], skipped, fps, worst, p50.Round(time.Millisecond), p99.Round(time.Millisecond), lat[0].Round(time.Millisecond), stats)
	// Loose, for a loaded 2-core machine running -race, Chromium's
	// software canvas and the encoder on the same two cores (9.4 fps drawn
	// of 26 decoded was seen with a load average of 28); above the
	// source's rate something else is wrong.
	if fps < 5 || fps > 38 {
		t.Errorf("%.1f fps drawn in Chromium, want 5 to 30", fps)
	}
	if lat[0] <= 0 {
		t.Errorf("a frame was presented %v before it was captured: wrong index or clock", lat[0])
	}
	if p50 > time.Second {
		t.Errorf("median capture-to-presentation latency %v, want under 1 s", p50)
	}
	if len(stats) != 1 || stats[0].FramesDecoded < len(got) || stats[0].KeyFramesDecoded < 1 || stats[0].Width != w {
		t.Errorf("inbound-rtp stats %+v, want one %d-wide track with at least %d frames decoded and a keyframe", stats, w, len(got))
	}

	if err := stopPublisher(); err != nil {
		t.Fatalf("PublishLiveKit: %v", err)
	}
	if pubStats.Frames < uint64(len(got)) {
		t.Errorf("publisher sent %d frames, Chromium drew %d", pubStats.Frames, len(got))
	}
	if out := s.Stats().Outstanding; out != 0 {
		t.Errorf("%d frames outstanding after PublishLiveKit", out)
	}
}

// consoleLog collects console lines from a goroutine of their own.
type consoleLog struct {
	mu    sync.Mutex
	lines []string
}

func (c *consoleLog) add(l string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, l)
}

func (c *consoleLog) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

// stampIndex reads testsrc's index stamp from the RGBA of the stamp's
// middle row.
func stampIndex(rgba []uint8, w, h int) (uint32, bool) {
	y := testsrc.StampRect(w, h).Dy() / 2
	plane := make([]byte, (y+1)*w)
	copy(plane[y*w:], luma(rgba))
	return testsrc.DecodeIndex(format.Video{Width: w, Height: h, PixelFormat: format.GRAY8}, [][]byte{plane}, []int{w})
}

// luma is the full-range luma of RGBA pixels, as testsrc.BarGray.
func luma(rgba []uint8) []byte {
	out := make([]byte, len(rgba)/4)
	for i := range out {
		r, g, b := int(rgba[4*i]), int(rgba[4*i+1]), int(rgba[4*i+2])
		out[i] = byte((299*r + 587*g + 114*b + 500) / 1000)
	}
	return out
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// Missing flags are a usage error, and the page's token lets its holder
// subscribe in the one room and not publish.
func TestFlagsAndToken(t *testing.T) {
	for _, args := range [][]string{
		{"-url", "ws://127.0.0.1:1", "-key", "k", "-secret", "s"},
		{"-room", "r", "-key", "k", "-secret", "s", "-url", ""},
		{"-nosuchflag"},
	} {
		t.Setenv("LIVEKIT_URL", "")
		if err := run(context.Background(), args, nil); !errors.Is(err, errUsage) {
			t.Errorf("run(%q) = %v, want errUsage", args, err)
		}
	}
	err := run(context.Background(), []string{"-url", "ws://127.0.0.1:1", "-room", "r", "-key", "k", "-secret", "s",
		"-bundle", "/nonexistent/livekit-client.umd.js"}, nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing bundle: %v, want ErrNotExist", err)
	}

	tok, err := subscribeToken(lktest.APIKey, lktest.APISecret, "room1", "viewer-1")
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.ParseAPIToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := v.Verify("wrong-secret-0123456789abcdef0123"); err == nil {
		t.Error("token verified with the wrong secret")
	}
	_, claims, err := v.Verify(lktest.APISecret)
	if err != nil {
		t.Fatal(err)
	}
	g := claims.Video
	if v.APIKey() != lktest.APIKey || v.Identity() != "viewer-1" || g == nil || !g.RoomJoin || g.Room != "room1" ||
		g.GetCanPublish() || !g.GetCanSubscribe() || g.GetCanPublishData() {
		t.Errorf("token: key %q identity %q grant %+v", v.APIKey(), v.Identity(), g)
	}
}
