//go:build linux && !cgo

package pipewire

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/backend"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNoCgo(t *testing.T) {
	for _, id := range []string{"screen", "42", "camera/x"} {
		if _, err := (Backend{}).Open(context.Background(), id, backend.Config{}); !errors.Is(err, backend.ErrNotSupported) {
			t.Errorf("Open(%q) without cgo: %v, want ErrNotSupported", id, err)
		}
	}
}
