//go:build !js

package chromium

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The browser runs JavaScript, and closing it twice is fine.
func TestStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bctx, stop := Start(t, ctx)
	v, err := chromedp.Run(bctx, chromedp.Evaluate[int](`6 * 7`))
	if err != nil || v != 42 {
		t.Fatalf("6 * 7 = %d, %v", v, err)
	}
	stop()
	stop()
}
