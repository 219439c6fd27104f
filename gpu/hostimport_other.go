//go:build !linux

package gpu

import (
	"fmt"

	"github.com/miniav-go/miniav"
)

// The host-import path is written for Linux only (the Vulkan loader is
// opened with dlopen, and the frame regions it imports are V4L2 and X11
// memory); elsewhere ModeHostImport is not supported.

type hostPath struct{ stats HostStats }

type hostImage struct{ px []byte }

func openHostPath(string) (*hostPath, error) {
	return nil, fmt.Errorf("gpu: host import is implemented on Linux only: %w", miniav.ErrNotSupported)
}

func (u *Uploader) hostUpload(miniav.Frame, miniav.VideoView, layout) (*Image, error) {
	return nil, nil
}
func (u *Uploader) hostSubmit(*Image, coef) error               { return nil }
func (u *Uploader) hostWait(*Image) (miniav.Frame, bool, error) { return miniav.Frame{}, false, nil }
func (u *Uploader) hostPut(*Image)                              {}
func (u *Uploader) hostClose() []miniav.Frame                   { return nil }
func (u *Uploader) hostFree()                                   {}
