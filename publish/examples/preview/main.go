// Command preview serves a miniav device to a browser over WebRTC: open
// http://127.0.0.1:8080/ and the page plays the stream (VP8, WHEP-style
// offer/answer with the server, no SFU).
//
//	go run ./examples/preview -device testsrc:camera -format "1280x720@30 i420"
//
// Run from the publish module (cd publish). Flags: -addr, -device (default
// the default camera, else the test pattern), -format, -bitrate, -loopback
// (ICE on the loopback interface only; the default when -addr is a
// loopback address), -fixed-bitrate (no congestion control: the bitrate
// stays at -bitrate whatever the viewers' links carry).
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	_ "github.com/miniav-go/miniav/backend/all"
	"github.com/miniav-go/miniav/devices"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/publish"
)

//go:embed index.html
var page []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], nil); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "preview:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done; ready, if not nil, gets the bound address.
func run(ctx context.Context, args []string, ready chan<- string) error {
	fs := flag.NewFlagSet("preview", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "HTTP address")
	device := fs.String("device", "", "device ID (default: the default camera, or the test pattern)")
	fmtStr := fs.String("format", "1280x720@30 i420", "video format")
	bitrate := fs.Int("bitrate", 2_000_000, "VP8 bitrate, bit/s")
	loop := fs.String("loopback", "auto", "ICE on loopback only: true, false, or auto (when -addr is a loopback address)")
	fixed := fs.Bool("fixed-bitrate", false, "keep -bitrate whatever the viewers' links carry (no congestion control)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	v, err := format.ParseVideo(*fmtStr)
	if err != nil {
		return err
	}
	if *device == "" {
		d, err := devices.Default(ctx, backend.KindCamera)
		if err != nil {
			return err
		}
		*device = d.ID
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	s, err := miniav.Open(ctx, *device, miniav.WithPull(), miniav.WithVideo(v))
	if err != nil {
		return fmt.Errorf("open %s: %w", *device, err)
	}
	defer s.Close()
	track, err := publish.NewVideoTrack(s, publish.WithBitrate(*bitrate))
	if err != nil {
		return err
	}
	var opts []publish.WHEPOption
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	if *loop == "true" || (*loop == "auto" && net.ParseIP(host).IsLoopback()) {
		opts = append(opts, publish.WithSettingEngine(publish.LoopbackSettings()))
	}
	if *fixed {
		opts = append(opts, publish.WithFixedWHEPBitrate())
	}
	whep := publish.NewWHEP(track, opts...)
	defer whep.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.Handle("/whep", whep)
	mux.Handle("/whep/", whep)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		st, ss := track.Stats(), s.Stats()
		fmt.Fprintf(w, `{"sent":%d,"bytes":%d,"keyframes":%d,"sessions":%d,"captured":%d,"dropped":%d}`,
			st.Frames, st.Bytes, st.KeyFrames, whep.Sessions(), ss.Captured, ss.Dropped.Total())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	sent := make(chan error, 1)
	go func() { sent <- track.Run(ctx) }()
	fmt.Fprintf(os.Stderr, "preview of %s (%v) at http://%s/\n", *device, s.Info().Video, ln.Addr())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	var runErr error
	select {
	case <-ctx.Done():
		<-sent
	case runErr = <-sent:
	case runErr = <-served:
	}
	whep.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	s.Close()
	if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) {
		return runErr
	}
	return ctx.Err()
}
