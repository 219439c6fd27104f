//go:build !js

package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The server builds the program and serves the page, wasm_exec.js and the
// module with the MIME type instantiateStreaming requires. (The page itself
// runs in Chromium in backend/webmedia's TestInChromium.)
func TestServe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	var base string
	select {
	case base = <-urls:
	case err := <-done:
		t.Fatal(err)
	}
	for path, want := range map[string]string{"": "wasm_exec.js", "wasm_exec.js": "globalThis.Go", "main.wasm": "\x00asm"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET /%s: %s, body lacks %q", path, resp.Status, want)
		}
		if path == "main.wasm" && resp.Header.Get("Content-Type") != "application/wasm" {
			t.Errorf("main.wasm served as %q", resp.Header.Get("Content-Type"))
		}
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("run returned %v after cancel, want context.Canceled", err)
	}
}
