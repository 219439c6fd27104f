package miniav_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

// scripted is a backend whose source plays a fixed list of sequence
// numbers, reporting some frames as dropped by itself (as a driver's
// error-flagged buffer or an audio overrun would be), then ends with io.EOF.
type scripted struct{}

type step struct {
	seq, skipped uint64
	reason       backend.DropReason // reported with skipped, when skipped > 0
}

var scripts = map[string][]step{
	// 0 1 [2 reported corrupt] 3 [4 5 lost silently] 6 [7 reported, 8 lost] 9
	"mixed": {{seq: 0}, {seq: 1}, {seq: 3, skipped: 1, reason: backend.DropError},
		{seq: 6}, {seq: 9, skipped: 1, reason: backend.DropError}},
	// an audio-like overrun of 2 frames the source counted, nothing else lost
	"overrun": {{seq: 0}, {seq: 1}, {seq: 4, skipped: 2, reason: backend.DropOverrun}, {seq: 5}},
}

func (scripted) Name() string { return "scripted" }
func (scripted) Devices(context.Context) ([]backend.Device, error) {
	return nil, nil
}
func (scripted) Open(_ context.Context, addr string, cfg backend.Config) (backend.Source, error) {
	if addr == "eof-on-cancel" {
		return &scriptedSource{eofOnCancel: true}, nil
	}
	sc, ok := scripts[addr]
	if !ok {
		return nil, fmt.Errorf("scripted:%s: %w", addr, backend.ErrNotFound)
	}
	return &scriptedSource{steps: sc, obs: cfg.Observer, data: make([]byte, 16)}, nil
}

type scriptedSource struct {
	eofOnCancel bool // Read blocks until its context is done, then says io.EOF
	steps       []step
	obs         backend.Observer
	data        []byte
}

func (s *scriptedSource) Info() backend.Info {
	return backend.Info{Kind: backend.KindCamera, Video: format.Video{Width: 4, Height: 4, PixelFormat: format.GRAY8}}
}
func (s *scriptedSource) Close() error         { return nil }
func (s *scriptedSource) ReleaseBuffer(uint64) {}
func (s *scriptedSource) Read(ctx context.Context, b *backend.Buffer) error {
	if s.eofOnCancel {
		<-ctx.Done()
		return io.EOF
	}
	if len(s.steps) == 0 {
		return io.EOF
	}
	st := s.steps[0]
	s.steps = s.steps[1:]
	if st.skipped > 0 {
		s.obs.Dropped(st.reason, st.skipped)
	}
	b.Planes[0], b.Strides[0], b.NumPlanes = s.data, 4, 1
	b.Video = s.Info().Video
	b.Sequence, b.Skipped = st.seq, st.skipped
	b.Releaser = s
	return nil
}

func init() { backend.Register(scripted{}) }

// Frames a source reports as dropped itself are not counted again as a
// sequence gap; the rest of a gap is.
func TestSkippedNotCountedTwice(t *testing.T) {
	for name, want := range map[string]map[backend.DropReason]uint64{
		"mixed":   {backend.DropError: 2, backend.DropDevice: 3},
		"overrun": {backend.DropOverrun: 2, backend.DropDevice: 0},
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t, context.Background(), "scripted:"+name, miniav.WithPolicy(miniav.Block))
			var seqs []uint64
			for f := range s.Frames() {
				seqs = append(seqs, f.Sequence())
				f.Release()
			}
			if !errors.Is(s.Err(), io.EOF) {
				t.Fatalf("Err = %v, want io.EOF", s.Err())
			}
			if len(seqs) != len(scripts[name]) {
				t.Fatalf("got sequences %v", seqs)
			}
			st := s.Stats()
			for r, n := range want {
				if st.Dropped[r] != n {
					t.Errorf("dropped[%v] = %d, want %d (all: %v)", r, st.Dropped[r], n, st.Dropped)
				}
			}
		})
	}
}

// Frames a device error left queued are released by Close when the
// consumer does not drain them.
func TestCloseReleasesFramesLeftAfterDeviceEnd(t *testing.T) {
	s, err := miniav.Open(context.Background(), "scripted:overrun", miniav.WithPolicy(miniav.Block), miniav.WithQueue(8))
	if err != nil {
		t.Fatal(err)
	}
	<-s.Done()
	if got := s.Stats(); got.Outstanding != 4 || got.Queued != 4 {
		t.Fatalf("before Close: outstanding %d, queued %d; want 4, 4", got.Outstanding, got.Queued)
	}
	s.Close()
	if got := s.Stats(); got.Outstanding != 0 || got.Dropped[backend.DropStopped] != 4 {
		t.Fatalf("after Close: outstanding %d, stopped drops %d; want 0, 4", got.Outstanding, got.Dropped[backend.DropStopped])
	}
	if !errors.Is(s.Err(), io.EOF) {
		t.Fatalf("Err = %v", s.Err())
	}
}
