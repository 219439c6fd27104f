package publish

import (
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/prop"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

// LiveKitScheme is the device-ID scheme of the LiveKit subscriber:
// miniav.Open(ctx, "livekit:ROOM/TRACK") joins ROOM on the server named
// by $LIVEKIT_URL with $LIVEKIT_API_KEY and $LIVEKIT_API_SECRET,
// subscribes to the VP8 video track named (or with the SID) TRACK, and
// delivers its decoded frames as I420 through the ordinary Stream, with
// its policy, pool-free hand-off and metrics. Importing this package
// registers the backend.
const LiveKitScheme = "livekit"

func init() { backend.Register(lkBackend{}) }

type lkBackend struct{}

func (lkBackend) Name() string                                      { return LiveKitScheme }
func (lkBackend) Kinds() []backend.Kind                             { return []backend.Kind{backend.KindCamera} }
func (lkBackend) Devices(context.Context) ([]backend.Device, error) { return nil, nil }

var subN atomic.Uint64

// lookWait is how long Open waits for the named track to show up.
const lookWait = 3 * time.Second

func (lkBackend) Open(ctx context.Context, addr string, cfg backend.Config) (backend.Source, error) {
	room, track, ok := strings.Cut(addr, "/")
	if !ok || room == "" || track == "" {
		return nil, fmt.Errorf("publish: livekit address %q, want ROOM/TRACK: %w", addr, miniav.ErrNotFound)
	}
	url, key, secret := os.Getenv("LIVEKIT_URL"), os.Getenv("LIVEKIT_API_KEY"), os.Getenv("LIVEKIT_API_SECRET")
	if url == "" {
		return nil, fmt.Errorf("publish: LIVEKIT_URL is not set: %w", miniav.ErrNotFound)
	}
	s := &lkSource{obs: cfg.Observer, frames: make(chan *lkFrame, 2), quit: make(chan struct{}), lost: make(chan struct{})}
	if s.obs == nil {
		s.obs = backend.NopObserver{}
	}
	subscribed := make(chan *webrtc.TrackRemote, 1)
	cb := lksdk.NewRoomCallback()
	cb.OnTrackSubscribed = func(tr *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, _ *lksdk.RemoteParticipant) {
		select {
		case subscribed <- tr:
		default:
		}
	}
	cb.OnTrackUnsubscribed = func(*webrtc.TrackRemote, *lksdk.RemoteTrackPublication, *lksdk.RemoteParticipant) { s.markLost() }
	s.room = lksdk.NewRoom(cb)
	id := fmt.Sprintf("miniav-sub-%d-%d", os.Getpid(), subN.Add(1))
	if err := s.room.JoinWithContext(ctx, url, lksdk.ConnectInfo{APIKey: key, APISecret: secret, RoomName: room, ParticipantIdentity: id},
		lksdk.WithAutoSubscribe(false)); err != nil {
		return nil, fmt.Errorf("publish: join livekit room %q at %s: %w", room, url, err)
	}
	// The room's participants and tracks arrive just after the join: a
	// track not there within lookWait is not in the room.
	var pub *lksdk.RemoteTrackPublication
	for deadline := time.Now().Add(lookWait); pub == nil && time.Now().Before(deadline) && ctx.Err() == nil; {
		for _, rp := range s.room.GetRemoteParticipants() {
			for _, tp := range rp.TrackPublications() {
				if p, ok := tp.(*lksdk.RemoteTrackPublication); ok && p.Kind() == lksdk.TrackKindVideo && (p.Name() == track || p.SID() == track) {
					pub = p
				}
			}
		}
		if pub == nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if pub == nil {
		s.room.Disconnect()
		return nil, fmt.Errorf("publish: no video track %q in livekit room %q: %w", track, room, miniav.ErrNotFound)
	}
	ti := pub.TrackInfo()
	s.v = format.Video{Width: int(ti.GetWidth()), Height: int(ti.GetHeight()), PixelFormat: format.I420}
	if err := pub.SetSubscribed(true); err != nil {
		s.room.Disconnect()
		return nil, fmt.Errorf("publish: subscribe to %q: %w", track, err)
	}
	var tr *webrtc.TrackRemote
	select {
	case tr = <-subscribed:
	case <-ctx.Done():
		s.room.Disconnect()
		return nil, ctx.Err()
	}
	s.wg.Add(1)
	go s.receive(tr)
	return s, nil
}

type lkFrame struct {
	buf [3][]byte
	seq uint64
	ts  uint32
	at  int64
}

type lkSource struct {
	room     *lksdk.Room
	v        format.Video
	obs      backend.Observer
	frames   chan *lkFrame
	quit     chan struct{}
	lost     chan struct{}
	lostOnce sync.Once
	closed   sync.Once
	wg       sync.WaitGroup
	mu       sync.Mutex
	free     []*lkFrame
	lent     map[uint64]*lkFrame
	token    uint64
}

func (s *lkSource) markLost() { s.lostOnce.Do(func() { close(s.lost) }) }

func (s *lkSource) Info() backend.Info {
	return backend.Info{Kind: backend.KindCamera, Video: s.v, Mode: "livekit vp8 (vpx decoder)"}
}

type byteFeed struct{ next []byte }

func (r *byteFeed) Read(p []byte) (int, error) {
	if r.next == nil {
		return 0, io.EOF
	}
	n := copy(p, r.next)
	r.next = nil
	return n, nil
}

// receive reads the track's RTP, rebuilds VP8 frames, decodes them from
// the first keyframe on and hands them to Read; when Read has not taken
// the previous ones (the hand-off holds 2), the oldest is dropped and
// counted as an overrun. The track's end marks the source lost.
func (s *lkSource) receive(tr *webrtc.TrackRemote) {
	defer s.wg.Done()
	defer s.markLost()
	s.wg.Add(1)
	go func() { defer s.wg.Done(); <-s.quit; _ = tr.SetReadDeadline(time.Unix(1, 0)) }()
	sb := samplebuilder.New(64, &codecs.VP8Packet{}, 90000)
	feed := &byteFeed{}
	dec, err := vpx.NewDecoder(feed, prop.Media{Video: prop.Video{Width: s.v.Width, Height: s.v.Height}})
	if err != nil {
		return
	}
	defer dec.Close()
	started := false
	var seq uint64
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		sb.Push(p)
		for smp := sb.Pop(); smp != nil; smp = sb.Pop() {
			if !started && (len(smp.Data) == 0 || smp.Data[0]&1 != 0) {
				continue
			}
			started = true
			feed.next = smp.Data
			img, _, err := dec.Read()
			if err != nil {
				continue
			}
			y, ok := img.(*image.YCbCr)
			if !ok || y.Rect.Dx() != s.v.Width || y.Rect.Dy() != s.v.Height {
				continue // the SFU's own tiny blank frames
			}
			f := s.get()
			copyPlane(f.buf[0], y.Y, s.v.Width, y.YStride, s.v.Height)
			copyPlane(f.buf[1], y.Cb, s.v.Width/2, y.CStride, s.v.Height/2)
			copyPlane(f.buf[2], y.Cr, s.v.Width/2, y.CStride, s.v.Height/2)
			f.seq, f.at = seq, int64(backend.Now())
			seq++
			for {
				select {
				case s.frames <- f:
				case <-s.quit:
					return
				default:
					select {
					case old := <-s.frames:
						s.put(old)
						s.obs.Dropped(backend.DropOverrun, 1)
					default:
					}
					continue
				}
				break
			}
		}
	}
}

func copyPlane(dst, src []byte, w, stride, h int) {
	for r := 0; r < h; r++ {
		copy(dst[r*w:(r+1)*w], src[r*stride:r*stride+w])
	}
}

func (s *lkSource) get() *lkFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.free); n > 0 {
		f := s.free[n-1]
		s.free = s.free[:n-1]
		return f
	}
	w, h := s.v.Width, s.v.Height
	return &lkFrame{buf: [3][]byte{make([]byte, w*h), make([]byte, w*h/4), make([]byte, w*h/4)}}
}

func (s *lkSource) put(f *lkFrame) {
	s.mu.Lock()
	s.free = append(s.free, f)
	s.mu.Unlock()
}

func (s *lkSource) ReleaseBuffer(token uint64) {
	s.mu.Lock()
	f := s.lent[token]
	delete(s.lent, token)
	if f != nil {
		s.free = append(s.free, f)
	}
	s.mu.Unlock()
}

func (s *lkSource) Read(ctx context.Context, b *backend.Buffer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-s.quit:
		return fmt.Errorf("publish: livekit source: %w", miniav.ErrClosed)
	default:
	}
	var f *lkFrame
	select {
	case f = <-s.frames:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return fmt.Errorf("publish: livekit source: %w", miniav.ErrClosed)
	case <-s.lost:
		select {
		case f = <-s.frames:
		default:
			return fmt.Errorf("publish: livekit track ended: %w", miniav.ErrDeviceLost)
		}
	}
	w := s.v.Width
	s.mu.Lock()
	if s.lent == nil {
		s.lent = make(map[uint64]*lkFrame)
	}
	s.token++
	s.lent[s.token] = f
	b.Token = s.token
	s.mu.Unlock()
	b.Planes[0], b.Planes[1], b.Planes[2] = f.buf[0], f.buf[1], f.buf[2]
	b.Strides[0], b.Strides[1], b.Strides[2] = w, w/2, w/2
	b.NumPlanes = 3
	b.Video = s.v
	b.Sequence = f.seq
	b.Timestamp = time.Duration(f.at)
	b.Releaser = s
	return nil
}

func (s *lkSource) Close() error {
	s.closed.Do(func() {
		close(s.quit)
		s.room.Disconnect()
		s.wg.Wait()
	})
	return nil
}
