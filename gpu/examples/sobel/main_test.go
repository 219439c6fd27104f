package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/gpu/internal/gputest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// On static testsrc bars (no index stamp), the Sobel map is non-zero exactly
// in the two columns either side of each of the 7 bar boundaries, at
// x = k*w/8, in every row, and zero everywhere else.
func TestEdgesAtBarBoundaries(t *testing.T) {
	u := gputest.Uploader(t)
	for _, pf := range []format.PixelFormat{format.NV12, format.I420, format.YUYV, format.BGRX} {
		const w, h = 320, 240
		g, err := edges(context.Background(), u, "testsrc:camera?static=1&stamp=0", format.Video{Width: w, Height: h, PixelFormat: pf, FrameRate: format.FPS(30)})
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]bool{}
		for k := 1; k < 8; k++ {
			want[k*w/8-1], want[k*w/8] = true, true
		}
		bad := 0
		for y := range h {
			for x := range w {
				if e := g.Pix[y*g.Stride+x]; (e != 0) != want[x] {
					if bad++; bad <= 5 {
						t.Errorf("%v: edge(%d,%d) = %d, want edge=%v", pf, x, y, e, want[x])
					}
				}
			}
		}
		if bad > 0 {
			t.Errorf("%v: %d pixels wrong", pf, bad)
		}
	}
}

// The command itself writes a PNG of the requested size.
func TestCommand(t *testing.T) {
	gputest.Uploader(t) // skips without an adapter
	out := filepath.Join(t.TempDir(), "edges.png")
	cmd := exec.Command("go", "run", ".", "-width", "160", "-height", "120", "-o", out)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if !strings.Contains(string(b), fmt.Sprintf("%s: 160x120 edges", out)) {
		t.Errorf("output: %s", b)
	}
	if fi, err := os.Stat(out); err != nil || fi.Size() < 100 {
		t.Fatalf("PNG: %v %v", fi, err)
	}
}
