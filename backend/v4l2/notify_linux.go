//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// devDir is where the kernel (devtmpfs) and udev create V4L2 nodes.
const devDir = "/dev"

// inotifyMask: nodes created and removed by the kernel, renamed into place,
// and permission changes (udev grants access after the node exists).
const inotifyMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_ATTRIB | unix.IN_ONLYDIR

// Changes implements backend.Notifier with an inotify watch on /dev: a
// video* node created, removed, renamed or given new permissions is a
// notification. One goroutine reads the watch through the netpoller; it
// ends, closing the inotify descriptor and then the channel, when ctx is
// done or /dev goes away.
func (Backend) Changes(ctx context.Context) (<-chan struct{}, error) {
	return watchNodes(ctx, devDir)
}

func watchNodes(ctx context.Context, dir string) (<-chan struct{}, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("v4l2: inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, inotifyMask); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("v4l2: inotify watch on %s: %w", dir, err)
	}
	f := os.NewFile(uintptr(fd), "inotify:"+dir) // non-blocking: reads wait in the netpoller
	ch := make(chan struct{}, 1)
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Unix(1, 0)) })
	go func() {
		defer close(ch)
		defer f.Close()
		defer stop()
		buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.NAME_MAX+1))
		for {
			n, err := f.Read(buf)
			if err != nil {
				return // ctx done (deadline), or the descriptor failed
			}
			changed, ended := scanEvents(buf[:n])
			if changed {
				select {
				case ch <- struct{}{}:
				default: // one is pending
				}
			}
			if ended {
				return
			}
		}
	}()
	return ch, nil
}

// scanEvents reports whether a batch of inotify events touches a video*
// node (or overflowed, so it may have), and whether the watch ended
// (IN_IGNORED: the directory was removed or unmounted).
func scanEvents(b []byte) (changed, ended bool) {
	for len(b) >= unix.SizeofInotifyEvent {
		mask := binary.NativeEndian.Uint32(b[4:8])
		nameLen := int(binary.NativeEndian.Uint32(b[12:16]))
		end := min(unix.SizeofInotifyEvent+nameLen, len(b))
		name, _, _ := bytes.Cut(b[unix.SizeofInotifyEvent:end], []byte{0})
		switch {
		case mask&unix.IN_Q_OVERFLOW != 0:
			changed = true
		case mask&unix.IN_IGNORED != 0:
			ended = true
		case bytes.HasPrefix(name, []byte("video")):
			changed = true
		}
		b = b[end:]
	}
	return changed, ended
}
