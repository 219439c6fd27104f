package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "github.com/miniav-go/miniav/backend/all"
	"github.com/miniav-go/miniav/format"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address (loopback by default)")
	device := flag.String("device", "testsrc:camera", "device ID (see: go run ./cmd/miniav devices)")
	fmtStr := flag.String("format", "640x480@30 i420", "video format")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	v, err := format.ParseVideo(*fmtStr)
	if err != nil {
		logger.Error("bad -format", "err", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := New(*device, v)
	s.Logger = logger
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		logger.Error("listen", "err", err)
		os.Exit(1)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	logger.Info("serving", "url", "http://"+ln.Addr().String()+"/")
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("serve", "err", err)
		os.Exit(1)
	}
}
