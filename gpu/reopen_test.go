package gpu_test

import (
	"context"
	"testing"

	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/gpu"
	"github.com/miniav-go/miniav/gpu/internal/gputest"
)

// Uploaders opened, used and closed one after another keep working. With
// the binding's CreateInstance, which leaves two fields of wgpu-native's
// instance extras uninitialised (malloc), the second or third instance of a
// process aborted it inside wgpu-native ("Unknown gles3 minor version"), so
// NewUploader creates its instance itself.
func TestReopen(t *testing.T) {
	gputest.Uploader(t) // skips without an adapter
	const w, h = 64, 48
	got := make([]byte, 4*w*h)
	want := make([]byte, 4*w*h)
	s := open(t, gputest.Addr(format.NV12, w, h, 4))
	for i := range 4 {
		u, err := gpu.NewUploader(context.Background(), gputest.Options()...)
		if err != nil {
			t.Fatal(err)
		}
		f := next(t, s)
		if err := gpu.ToRGBA(f.Video(), gpu.BT709Full, want); err != nil {
			t.Fatal(err)
		}
		im, err := u.Upload(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := u.Convert(im, gpu.BT709Full); err != nil {
			t.Fatal(err)
		}
		if err := u.Read(im, got); err != nil {
			t.Fatal(err)
		}
		if d := diff(got, want); d != "" {
			t.Errorf("uploader %d: %s", i, d)
		}
		if i%2 == 0 {
			im.Release() // odd ones are still held at Close
		}
		if err := u.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
