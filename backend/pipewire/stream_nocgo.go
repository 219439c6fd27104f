//go:build linux && !cgo

package pipewire

import (
	"context"
	"fmt"

	"github.com/miniav-go/miniav/backend"
)

const cgoEnabled = false

// nodeStream stands for the cgo stream in builds without cgo, where Open
// fails before it would make one.
type nodeStream struct {
	backend.Source
	info backend.Info
}

func (*nodeStream) notify() {}

func openNode(context.Context, connectParams) (*nodeStream, error) {
	return nil, fmt.Errorf("pipewire: built without cgo: %w", backend.ErrNotSupported)
}

func listCameras(string) ([]cameraNode, error) { return nil, nil }

func watchCameras(context.Context, string) (<-chan struct{}, error) {
	return nil, fmt.Errorf("pipewire: built without cgo: %w", backend.ErrNotFound)
}
