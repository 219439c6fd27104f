//go:build !js

package webmedia_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/miniav-go/miniav/internal/browsertest"
	"github.com/miniav-go/miniav/internal/chromium"
)

// TestContractInChromium builds this package's tests for js/wasm and runs
// their TestContract (the backend contract kit on the camera and the
// microphone) in headless Chromium with its fake devices.
func TestContractInChromium(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	start := time.Now()
	if err := browsertest.BuildTest(ctx, dir, "github.com/miniav-go/miniav/backend/webmedia"); err != nil {
		t.Fatal(err)
	}
	t.Logf("built the wasm test binary in %v", time.Since(start).Round(time.Millisecond))
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	bctx, closeBrowser := chromium.Start(t, ctx,
		chromedp.Flag("use-fake-device-for-media-stream", "fps=30"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
	)
	defer closeBrowser()
	start = time.Now()
	args := url.QueryEscape("-test.v -test.run=^TestContract$")
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/?args="+args)); err != nil {
		t.Fatalf("loading the page: %v", err)
	}
	_, err := chromedp.Run(bctx, chromedp.Poll[bool](`typeof window.testExit === "number"`, chromedp.WithPollingTimeout(3*time.Minute)))
	out, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`window.testOutput`))
	if err != nil {
		t.Fatalf("the test binary did not finish: %v\n%s", err, out)
	}
	code, err := chromedp.Run(bctx, chromedp.Evaluate[int](`window.testExit`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ran in %v, exit code %d", time.Since(start).Round(time.Millisecond), code)
	if code != 0 || !strings.Contains(out, "--- PASS: TestContract ") || strings.Contains(out, "--- SKIP") {
		t.Fatalf("TestContract in Chromium: exit code %d\n%s", code, out)
	}
	t.Logf("%s", out)
}
