//go:build linux && cgo

package pipewire

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/pipewire/internal/pwtestnode"
)

// Consumers joining and leaving one node at once each get frames: three
// streams opened together, read, and closed, many times over.
func TestConsumersJoinTogether(t *testing.T) {
	name := "miniav-join"
	node(t, pwtestnode.Options{Name: name, Format: pwtestnode.NV12, FPS: 60})
	for round := range 30 {
		var wg sync.WaitGroup
		errs := make([]error, 3)
		got := make([]int, 3)
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				src, err := Backend{}.Open(context.Background(), "camera/"+name, backend.Config{Observer: backend.NopObserver{}})
				if err != nil {
					errs[i] = err
					return
				}
				defer src.Close()
				for range 5 {
					ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
					var b backend.Buffer
					err := src.Read(ctx, &b)
					cancel()
					if err != nil {
						errs[i] = err
						return
					}
					got[i]++
					b.Releaser.ReleaseBuffer(b.Token)
				}
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, consumer %d: %v after %d frames", round, i, err, got[i])
			}
		}
	}
}
