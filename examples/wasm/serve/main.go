//go:build !js

// Command serve builds the examples/wasm program for the browser and
// serves it on 127.0.0.1:8081 (a secure context, so getUserMedia works):
//
//	go run ./examples/wasm/serve
//
// then open http://127.0.0.1:8081/ in a Chromium-based browser and allow
// the camera: Go draws each frame into the canvas with its mean
// luminance. Add ?selftest to the URL to run the self-test instead.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/miniav-go/miniav/internal/browsertest"
)

// Program is the package the server builds for js/wasm.
const Program = "github.com/miniav-go/miniav/examples/wasm"

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to serve on")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, *addr, func(url string) { log.Printf("serving on %s", url) })
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Print(err)
		os.Exit(1)
	}
}

// run builds the program into a temporary directory and serves it on addr
// until ctx is done, calling ready with the URL once it listens.
func run(ctx context.Context, addr string, ready func(url string)) error {
	dir, err := os.MkdirTemp("", "miniav-wasm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	log.Printf("building %s for js/wasm", Program)
	if err := browsertest.Build(ctx, dir, Program); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	ready("http://" + ln.Addr().String() + "/")
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return ctx.Err()
}
