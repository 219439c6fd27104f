//go:build !js

// Command serve builds the examples/wasm program for the browser and
// serves it on 127.0.0.1:8081 (a secure context, so getUserMedia works):
//
//	go run ./examples/wasm/serve
//
// then open http://127.0.0.1:8081/ in a Chromium-based browser and allow
// the camera. Add ?selftest to the URL to run the self-test instead.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"os"

	"github.com/miniav-go/miniav/internal/browsertest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to serve on")
	flag.Parse()
	dir, err := os.MkdirTemp("", "miniav-wasm-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	log.Printf("building github.com/miniav-go/miniav/examples/wasm for js/wasm")
	if err := browsertest.Build(context.Background(), dir, "github.com/miniav-go/miniav/examples/wasm"); err != nil {
		log.Fatal(err)
	}
	log.Printf("serving on http://%s/", *addr)
	log.Fatal(http.ListenAndServe(*addr, http.FileServer(http.Dir(dir))))
}
