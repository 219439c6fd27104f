package publish_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/publish"
	"github.com/miniav-go/miniav/publish/internal/lktest"
)

// The viewer of TestWHEPCongestionControl: this test binary run again
// inside the link's namespace, so that what it receives crosses the
// shaped veth pair (two peer connections in one namespace would talk
// over loopback whatever addresses they use).
const (
	viewerURL  = "MINIAV_WHEP_VIEWER_URL"  // the session URL to POST the offer to
	viewerAddr = "MINIAV_WHEP_VIEWER_ADDR" // the address ICE may use
)

// testsrc at 1280x720, 30 fps, 2 Mbit/s, with noise so that every frame
// costs its share of the bitrate, served by a WHEP handler to a Go viewer
// behind a veth pair whose handler side is then shaped to 1 Mbit/s with a
// queue deeper than a socket's send buffer (the link drops nothing; the
// handler's socket fills). With congestion control (the default) the
// viewer's feedback lowers the encoder's bitrate below the link's and the
// link keeps up: in the last 5 s nearly every frame sent arrives (see
// keptUp) and there are no network drops. With WithFixedWHEPBitrate the
// same link loses frames to the network: the control, which shows the
// assertions can fail.
//
// Each second of the adaptation is logged when it fails (and with
// MINIAV_WHEP_CC_TRACE=1 when it passes): frames at the viewer, network
// drops, the encoder's target, the bytes it encoded and those that went
// into the link, and the link's queue.
func TestWHEPCongestionControl(t *testing.T) {
	t.Run("congestion", func(t *testing.T) { whepThrottled(t, false) })
	t.Run("fixed", func(t *testing.T) { whepThrottled(t, true) })
}

// onlyAddr are ICE settings that gather candidates on addr only (UDP over
// IPv4, no mDNS): each end of the link uses its own address.
func onlyAddr(addr string) webrtc.SettingEngine {
	var se webrtc.SettingEngine
	ip := net.ParseIP(addr)
	se.SetIPFilter(func(a net.IP) bool { return a.Equal(ip) })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return se
}

func whepThrottled(t *testing.T, fixed bool) {
	const w, h = 1280, 720
	const linkRate = 1_000_000
	link := lktest.NewLink(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	s := openDevice(t, ctx, "testsrc:camera?noise=3", w, h)
	defer s.Close()
	track, err := publish.NewVideoTrack(s, publish.WithBitrate(2_000_000))
	if err != nil {
		t.Fatal(err)
	}
	opts := []publish.WHEPOption{publish.WithSettingEngine(onlyAddr(link.Host))}
	if fixed {
		opts = append(opts, publish.WithFixedWHEPBitrate())
	}
	whep := publish.NewWHEP(track, opts...)
	defer whep.Close()
	ln, err := net.Listen("tcp", link.Host+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: whep}
	go srv.Serve(ln)
	defer srv.Close()

	runCtx, stopRun := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	var runErr error
	go func() { defer wg.Done(); runErr = track.Run(runCtx) }()
	defer func() { stopRun(); wg.Wait() }()

	// The viewer, in the link's namespace.
	v := exec.Command("ip", "netns", "exec", link.Netns, os.Args[0], "-test.run=^TestWHEPViewer$", "-test.v")
	v.Env = append(os.Environ(), viewerURL+"=http://"+ln.Addr().String()+"/whep", viewerAddr+"="+link.Peer)
	stdin, err := v.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := v.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var vlog strings.Builder
	v.Stderr = &vlog
	if err := v.Start(); err != nil {
		t.Fatal(err)
	}
	var frames, unstamped atomic.Int64
	lines := make(chan struct{})
	var out strings.Builder
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			switch l := sc.Text(); {
			case strings.HasPrefix(l, "frame "):
				frames.Add(1)
			case l == "unstamped frame":
				unstamped.Add(1)
			default:
				out.WriteString(l + "\n")
			}
		}
	}()
	viewerDone := false
	endViewer := func() {
		if viewerDone {
			return
		}
		viewerDone = true
		stdin.Close() // EOF: the viewer ends its session and exits
		<-lines
		if err := v.Wait(); err != nil {
			t.Errorf("viewer: %v\n%s%s", err, out.String(), vlog.String())
		}
	}
	defer endViewer()

	netDrops := func() uint64 { return s.Stats().Dropped[backend.DropNetwork] }
	wait := func(d time.Duration) {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			t.Fatalf("%d frames received before the deadline", frames.Load())
		}
	}
	for deadline := time.Now().Add(30 * time.Second); frames.Load() == 0; {
		if time.Now().After(deadline) {
			endViewer()
			t.Fatalf("no frame at the viewer in 30 s\n%s", out.String())
		}
		wait(100 * time.Millisecond)
	}
	n0 := frames.Load()
	wait(5 * time.Second)
	if n := frames.Load() - n0; n < 60 || netDrops() != 0 {
		t.Fatalf("free link: %d frames in 5 s, %d network drops", n, netDrops())
	}
	if err := link.Throttle(fmt.Sprintf("%dbit", linkRate), 3000, 1<<20); err != nil {
		t.Fatal(err)
	}
	// Adapting: the queue fills, the estimate falls, the queue drains.
	// Each second is logged, so that a failing run shows how it went.
	var trace strings.Builder
	in0, enc0 := linkSent(link), track.Stats().Bytes
	for i := 1; i <= 20; i++ {
		wait(time.Second)
		st, in := track.Stats(), linkSent(link)
		fmt.Fprintf(&trace, "  %2d s: %d frames at the viewer (%d unstamped), %d network drops, %d keyframe requests, encoder %d bit/s, encoded %d B, into the link %d B, link %s\n",
			i, frames.Load(), unstamped.Load(), netDrops(), st.KeyFrames, st.Bitrate, st.Bytes-enc0, in-in0, link.QueueLen())
		in0, enc0 = in, st.Bytes
	}
	d0, f0, p0, b0, at := netDrops(), frames.Load(), passed(s), track.Stats().Bytes, time.Now()
	wait(5 * time.Second)
	d1, f1, p1, span := netDrops(), frames.Load(), passed(s), time.Since(at)
	fps := float64(f1-f0) / span.Seconds()
	st := track.Stats()
	encoded := int(float64(8*(st.Bytes-b0)) / span.Seconds())
	t.Logf("throttled to %d bit/s: %d network drops while adapting, %d in the last %v; %.1f fps at the viewer then, of %.1f sent (%d unstamped in all); drops: %v; encoded %d bit/s then, the encoder's target %d bit/s at the end; link: %s",
		linkRate, d0, d1-d0, span.Round(time.Millisecond), fps, float64(p1-p0)/span.Seconds(), unstamped.Load(), s.Stats().Dropped, encoded, st.Bitrate, link.Backlog())
	bad := len(lagging(d1-d0, int(f1-f0), p1-p0, span)) > 0
	if bad != fixed || os.Getenv("MINIAV_WHEP_CC_TRACE") == "1" {
		t.Logf("while adapting:\n%s", trace.String())
	}
	if fixed {
		if !bad {
			t.Errorf("a fixed 2 Mbit/s over a 1 Mbit/s link kept up (%d network drops, %.1f fps): the assertions of the congestion subtest cannot fail", d1-d0, fps)
		}
		if st.Bitrate != 2_000_000 {
			t.Errorf("fixed bitrate: encoder at %d bit/s", st.Bitrate)
		}
	} else {
		keptUp(t, d1-d0, int(f1-f0), p1-p0, span)
		// What the link carried without a queue, less the packets' own
		// bytes: under the link's rate, and not starved far below it.
		if encoded < linkRate*4/10 || encoded > linkRate {
			t.Errorf("encoded %d bit/s in the last %v, want near the link's %d, under it (from 2000000)", encoded, span, linkRate)
		}
	}
	link.Unthrottle()
	endViewer()
	stopRun()
	wg.Wait()
	if runErr != nil {
		t.Errorf("Run: %v", runErr)
	}
	if n := whep.Sessions(); n != 0 {
		t.Errorf("%d sessions left after the viewer's DELETE", n)
	}
	if out := s.Stats().Outstanding; out != 0 {
		t.Errorf("%d frames outstanding after Run", out)
	}
}

// TestWHEPViewer is TestWHEPCongestionControl's viewer (it skips when run
// on its own): it plays the session URL in $MINIAV_WHEP_VIEWER_URL with
// ICE on $MINIAV_WHEP_VIEWER_ADDR only, prints "frame INDEX" for each
// frame it decodes with a readable stamp ("unstamped frame" for one
// without), and when its stdin ends it ends the session and exits.
func TestWHEPViewer(t *testing.T) {
	url, addr := os.Getenv(viewerURL), os.Getenv(viewerAddr)
	if url == "" {
		t.Skip("TestWHEPCongestionControl's viewer: runs only as its child")
	}
	const w, h = 1280, 720
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pc, frames, loc := subscribe(t, ctx, webrtc.NewAPI(webrtc.WithSettingEngine(onlyAddr(addr))), url, w, h)
	stdin := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stdin) }()
	for done := false; !done; {
		select {
		case f, ok := <-frames:
			if !ok {
				done = true
			} else if f.ok {
				fmt.Printf("frame %d\n", f.index)
			} else {
				fmt.Println("unstamped frame")
			}
		case <-stdin:
			done = true
		}
	}
	base := url[:strings.Index(url[len("http://"):], "/")+len("http://")]
	req, _ := http.NewRequest(http.MethodDelete, base+loc, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Errorf("DELETE %s: %v", loc, err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("DELETE %s: %s", loc, resp.Status)
		}
	}
	http.DefaultClient.CloseIdleConnections()
	cancel()
	pc.Close()
	// The track's reader ends with the peer connection (if it started).
	for end := time.After(5 * time.Second); ; {
		select {
		case _, ok := <-frames:
			if ok {
				continue
			}
		case <-end:
		}
		break
	}
}
