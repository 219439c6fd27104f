//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/internal/v4l2"
)

func init() { backend.Register(Backend{}) }

// Backend is the V4L2 camera backend.
type Backend struct{}

// Name implements backend.Backend.
func (Backend) Name() string { return Name }

// Kinds implements backend.Kinder: V4L2 capture nodes are cameras.
func (Backend) Kinds() []backend.Kind { return []backend.Kind{backend.KindCamera} }

// Devices implements backend.Backend: every /dev/video* node that
// captures video.
func (Backend) Devices(ctx context.Context) ([]backend.Device, error) {
	paths, _ := filepath.Glob("/dev/video*")
	slices.SortFunc(paths, func(a, b string) int {
		na, _ := strconv.Atoi(strings.TrimPrefix(a, "/dev/video"))
		nb, _ := strconv.Atoi(strings.TrimPrefix(b, "/dev/video"))
		if na != nb {
			return na - nb
		}
		return strings.Compare(a, b)
	})
	var out []backend.Device
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		d, err := describe(p)
		if err != nil {
			continue // not a capture node, gone, or not ours to open
		}
		out = append(out, d)
	}
	return out, nil
}

// describe opens the node at path and describes it.
func describe(path string) (backend.Device, error) {
	n, err := openNode(path)
	if err != nil {
		return backend.Device{}, err
	}
	defer unix.Close(n.fd)
	caps, err := listCaps(n.fd, n.typ)
	if err != nil {
		return backend.Device{}, err
	}
	return backend.Device{
		ID:      Name + ":" + path,
		Name:    v4l2.CString(n.cap.Card[:]),
		Kind:    backend.KindCamera,
		Backend: Name,
		Attrs:   n.attrs(),
		Video:   caps,
	}, nil
}

// node is an open capture node.
type node struct {
	path string
	fd   int
	cap  v4l2.Capability
	typ  uint32 // buffer type: single- or multi-planar capture
}

func (n *node) mplane() bool { return n.typ == v4l2.BufTypeVideoCaptureMPlane }

func (n *node) attrs() map[string]string {
	api := "single-planar"
	if n.mplane() {
		api = "multi-planar"
	}
	return map[string]string{
		"driver":   v4l2.CString(n.cap.Driver[:]),
		"bus_info": v4l2.CString(n.cap.BusInfo[:]),
		"api":      api,
	}
}

// openNode opens path if it is a V4L2 video capture node with streaming
// I/O. It looks at the file with stat before opening it, so directories,
// regular files, FIFOs and sockets are never opened, and issues no ioctl
// beyond VIDIOC_QUERYCAP on a character device it does not know.
func openNode(path string) (*node, error) {
	if path == "" {
		return nil, fmt.Errorf("v4l2: empty device path (want e.g. v4l2:/dev/video0): %w", backend.ErrNotFound)
	}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return nil, openErr(path, "stat", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR {
		what := "not a character device"
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			what = "a directory"
		case unix.S_IFREG:
			what = "a regular file"
		}
		return nil, fmt.Errorf("v4l2: %s is %s, not a V4L2 device: %w", path, what, backend.ErrNotSupported)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, openErr(path, "open", err)
	}
	n := &node{path: path, fd: fd}
	if err := v4l2.QueryCap(fd, &n.cap); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.ENODEV) {
			return nil, fmt.Errorf("v4l2: %s: QUERYCAP: %v: %w", path, err, backend.ErrNotFound)
		}
		return nil, fmt.Errorf("v4l2: %s is not a V4L2 device (QUERYCAP: %v): %w", path, err, backend.ErrNotSupported)
	}
	caps := n.cap.Caps()
	switch {
	case caps&(v4l2.CapVideoM2M|v4l2.CapVideoM2MMPlane) != 0:
		err = fmt.Errorf("v4l2: %s is a memory-to-memory device, not a camera: %w", path, backend.ErrNotSupported)
	case caps&v4l2.CapVideoCapture != 0:
		n.typ = v4l2.BufTypeVideoCapture
	case caps&v4l2.CapVideoCaptureMPlane != 0:
		n.typ = v4l2.BufTypeVideoCaptureMPlane
	default:
		err = fmt.Errorf("v4l2: %s does not capture video (device caps %#x): %w", path, caps, backend.ErrNotSupported)
	}
	if err == nil && caps&v4l2.CapStreaming == 0 {
		err = fmt.Errorf("v4l2: %s has no streaming I/O (device caps %#x): %w", path, caps, backend.ErrNotSupported)
	}
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return n, nil
}

// openErr maps an error of stat or open to the backend's errors.
func openErr(path, op string, err error) error {
	var sentinel error
	switch {
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO), errors.Is(err, unix.ENOTDIR):
		sentinel = backend.ErrNotFound
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		sentinel = backend.ErrPermissionDenied
	case errors.Is(err, unix.EBUSY):
		sentinel = backend.ErrBusy
	default:
		return fmt.Errorf("v4l2: %s: %s: %w", path, op, err)
	}
	return fmt.Errorf("v4l2: %s: %s: %v: %w", path, op, err, sentinel)
}

// ioErr wraps the error of an ioctl on an open node, mapping errno values
// that mean a lost or busy device to the backend's errors.
func ioErr(path, op string, err error) error {
	switch {
	case errors.Is(err, unix.ENODEV), errors.Is(err, unix.ENXIO), errors.Is(err, unix.EIO), errors.Is(err, unix.EPIPE):
		return fmt.Errorf("v4l2: %s: %s: %v: %w", path, op, err, backend.ErrDeviceLost)
	case errors.Is(err, unix.EBUSY):
		return fmt.Errorf("v4l2: %s: %s: %v: %w", path, op, err, backend.ErrBusy)
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		return fmt.Errorf("v4l2: %s: %s: %v: %w", path, op, err, backend.ErrPermissionDenied)
	}
	return fmt.Errorf("v4l2: %s: %s: %w", path, op, err)
}

// Open implements backend.Backend: addr is the node's path.
func (Backend) Open(ctx context.Context, addr string, cfg backend.Config) (backend.Source, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, err := openNode(addr)
	if err != nil {
		return nil, err
	}
	return start(n, cfg) // closes n on failure
}

// isEnd reports whether err is the EINVAL that ends an enumeration.
func isEnd(err error) bool { return errors.Is(err, unix.EINVAL) }
