//go:build !js

// Package chromium starts the headless Chromium that the browser tests
// drive through chromedp, with the flags this kind of machine needs (root
// needs --no-sandbox; the closed network needs background networking off).
package chromium

import (
	"context"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/miniav-go/miniav/internal/testenv"
)

// Start launches Chromium for t with extra flags on top of the common ones
// and returns a browser context and a function that closes the browser and
// waits for it to exit. The function may be called more than once; it also
// runs when t ends. A missing Chromium skips t (fails it with CI=true).
func Start(t testing.TB, ctx context.Context, extra ...chromedp.ExecAllocatorOption) (context.Context, func()) {
	t.Helper()
	exe := testenv.LookPath(t, "chromium")
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	}, extra...)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			if err := chromedp.Cancel(bctx); err != nil {
				t.Logf("closing the browser: %v", err)
			}
			bcancel()
			acancel()
		})
	}
	t.Cleanup(stop)
	return bctx, stop
}
