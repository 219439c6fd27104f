// Command livekit-viewer watches a LiveKit room in the browser: it serves
// a page that joins the room with the livekit-client JavaScript SDK (the
// npm package's bundle, served from this machine, never from a CDN),
// subscribes to the video tracks and draws their decoded frames on a
// canvas. Each page gets a subscribe-only access token minted here from
// the API key and secret, which never reach the browser.
//
//	go run ./examples/livekit-viewer -url ws://127.0.0.1:7880 -room demo
//
// Run from the publish module (cd publish), with a publisher in the room,
// such as `go run ./cmd/miniav-publish -device testsrc:camera -room demo`.
// Flags: -addr (default 127.0.0.1:8090), -url, -room, -key, -secret
// (default $LIVEKIT_URL, $LIVEKIT_API_KEY, $LIVEKIT_API_SECRET), -bundle
// (the SDK's livekit-client.umd.js; default the copy that
// scripts/test.d/publish.sh installs, or $MINIAV_LIVEKIT_CLIENT),
// -server-ice=false (the browser ignores the STUN/TURN servers the LiveKit
// server hands out, which on a machine without Internet only fail).
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/livekit/protocol/auth"

	"github.com/miniav-go/miniav/publish/internal/lkjs"
)

//go:embed index.html
var page []byte

// errUsage is returned for missing or bad flags.
var errUsage = errors.New("livekit-viewer: usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], nil); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "livekit-viewer:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done; ready, if not nil, gets the bound address.
func run(ctx context.Context, args []string, ready chan<- string) error {
	fs := flag.NewFlagSet("livekit-viewer", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "HTTP address")
	url := fs.String("url", os.Getenv("LIVEKIT_URL"), "LiveKit server, ws:// or wss:// (default $LIVEKIT_URL)")
	room := fs.String("room", "", "room name")
	key := fs.String("key", os.Getenv("LIVEKIT_API_KEY"), "API key (default $LIVEKIT_API_KEY)")
	secret := fs.String("secret", os.Getenv("LIVEKIT_API_SECRET"), "API secret (default $LIVEKIT_API_SECRET)")
	bundle := fs.String("bundle", lkjs.Bundle(), "the livekit-client SDK's livekit-client.umd.js")
	serverICE := fs.Bool("server-ice", true, "let the browser use the STUN/TURN servers the LiveKit server offers (false: host candidates only, for one host or a LAN)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *url == "" || *room == "" || *key == "" || *secret == "" {
		return fmt.Errorf("%w: -url, -room, -key and -secret are required", errUsage)
	}
	if _, err := os.Stat(*bundle); err != nil {
		return fmt.Errorf("livekit-client %s bundle: %w (scripts/test.d/publish.sh installs it, or pass -bundle)", lkjs.Version, err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()

	var viewers atomic.Uint64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("GET /livekit-client.umd.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFile(w, r, *bundle)
	})
	// /join hands a page the server's URL, the room and a token of its own.
	mux.HandleFunc("GET /join", func(w http.ResponseWriter, r *http.Request) {
		identity := fmt.Sprintf("viewer-%d", viewers.Add(1))
		token, err := subscribeToken(*key, *secret, *room, identity)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]any{"url": *url, "room": *room, "identity": identity, "token": token, "serverICE": *serverICE})
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(os.Stderr, "viewer of room %q on %s at http://%s/\n", *room, *url, ln.Addr())
	if ready != nil {
		ready <- ln.Addr().String()
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-served:
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) {
		return runErr
	}
	return ctx.Err()
}

// subscribeToken is a JWT that lets identity join room and subscribe, but
// not publish, for an hour.
func subscribeToken(key, secret, room, identity string) (string, error) {
	g := &auth.VideoGrant{RoomJoin: true, Room: room}
	g.SetCanPublish(false)
	g.SetCanPublishData(false)
	g.SetCanSubscribe(true)
	return auth.NewAccessToken(key, secret).SetVideoGrant(g).SetIdentity(identity).SetValidFor(time.Hour).ToJWT()
}
