package x11

import (
	"context"
	"errors"
	"image"
	"syscall"
	"testing"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/internal/xvfb"
)

// An X server that stops answering (SIGSTOP) does not hold up Close: the
// stream stops, its reader returns and Close returns at once, in every
// mode; a device watch ends when its context does. The chaos run
// (internal/chaos) found Close waiting as long as the server was stopped.
func TestFrozenServer(t *testing.T) {
	x := xvfb.Start(t)
	frozen := false
	freeze := func(on bool) {
		sig := syscall.SIGCONT
		if on {
			sig = syscall.SIGSTOP
		}
		if err := syscall.Kill(x.Pid(), sig); err != nil {
			t.Fatal(err)
		}
		frozen = on
	}
	defer func() {
		if frozen {
			freeze(false)
		}
	}()
	for _, c := range []struct {
		query string
		pull  bool
	}{{"", false}, {"", true}, {"?shm=0", false}, {"?shm=0", true}} {
		opts := []miniav.Option{miniav.WithRegion(image.Rect(0, 0, 64, 48))}
		if c.pull {
			opts = append(opts, miniav.WithPull())
		}
		s, err := miniav.Open(context.Background(), "x11:"+x.Display+c.query, opts...)
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		f.Release()
		freeze(true)
		returned := make(chan error, 1)
		go func() {
			for {
				f, err := s.Next()
				if err != nil {
					returned <- err
					return
				}
				f.Release()
			}
		}()
		time.Sleep(100 * time.Millisecond) // the reader waits for the server
		closed := make(chan struct{})
		t0 := time.Now()
		go func() { s.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(2 * time.Second):
			freeze(false)
			<-closed
			t.Errorf("%q pull=%v: Close took %v: it waited for the stopped X server", c.query, c.pull, time.Since(t0))
		}
		if err := <-returned; !errors.Is(err, miniav.ErrClosed) {
			t.Errorf("%q pull=%v: the reader got %v", c.query, c.pull, err)
		}
		if frozen {
			freeze(false)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	ch, err := watch(ctx, x.Display)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	freeze(true)
	cancel()
	testenv.WaitClosed(t, ch, "Changes with a stopped X server")
	freeze(false)
}
