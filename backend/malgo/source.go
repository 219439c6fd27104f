//go:build cgo && !js

package malgo

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gen2brain/malgo"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/pool"
)

// A source has max(Config.Buffers, 2) slots for the stream plus enough
// for ahead of audio, at least extraSlots: room for the callback to run
// ahead of Read without dropping.
const (
	extraSlots = 4
	ahead      = 100 * time.Millisecond
)

// checkEvery is how often a waiting Read checks the device state and the
// watchdog once audio has stopped arriving. While audio flows, the C
// hand-off checks only every flowingCheck: each move of the eventfd's
// deadline, made while Read runs, makes Go's runtime wake a second thread
// (no thread is then waiting in the netpoller), and moving it every 50 ms
// cost half of a 10 ms pull stream's CPU. A device that stops silently is
// therefore noticed flowingCheck/2 to flowingCheck after its last audio;
// a stop that miniaudio reports wakes Read at once.
const (
	checkEvery   = 100 * time.Millisecond
	flowingCheck = time.Second
)

// When no audio arrived for probeAfter (or five periods if longer), a
// waiting Read checks, at most every probeEvery, that the sound system is
// still reachable, waiting probeTimeout for the answer.
const (
	probeAfter   = 250 * time.Millisecond
	probeEvery   = time.Second
	probeTimeout = 2 * time.Second
)

// closeTimeout bounds how long Close waits for miniaudio to uninitialise.
const closeTimeout = 5 * time.Second

// bufPool is the pool every source takes its slots from.
var bufPool = pool.New(pool.WithMaxBytes(64 << 20))

// PoolStats returns the counters of the pool the sources copy audio into:
// Outstanding is the number of slot buffers held by open sources and by
// frames not yet released.
func PoolStats() pool.Stats { return bufPool.Stats() }

// source is an open capture device.
type source struct {
	info       backend.Info
	obs        backend.Observer
	frameBytes int
	period     int // sample frames per buffer
	rate       int

	slots []slot
	ring  *ring
	wake  chan struct{}
	tick  *time.Ticker

	// Written by the callback only.
	cursor int
	seq    uint64
	gap    bool // the last period was dropped

	lastData atomic.Int64  // backend.Now() of the last callback
	overruns atomic.Uint64 // buffers dropped by the callback, not yet reported
	next     uint64        // sequence expected after the last buffer Read returned (Read's goroutine only)
	dropped  atomic.Uint64 // all buffers dropped by the callback
	stopped  atomic.Bool   // miniaudio reported the device stopped
	closing  atomic.Bool
	closed   atomic.Bool
	held     atomic.Int32 // slots still holding a pool buffer

	watchdog  time.Duration
	probe     func() error // reports whether the sound system is still reachable
	lastProbe time.Duration
	dev       *malgo.Device
	mctx      *malgo.AllocatedContext

	// fast, when set, replaces slots and ring: miniaudio calls a C
	// callback that never enters Go (fast_linux.go).
	fast      *fastPath
	nextCheck time.Time       // when readFast next checks the device
	sawData   bool            // readFast returned audio since it last waited
	waitCtx   context.Context // the ctx whose cancellation notifies fast
	stopWake  func() bool     // stops that notification
}

// newSource returns a source with no slots yet.
func newSource(obs backend.Observer) *source {
	return &source{obs: obs, wake: make(chan struct{}, 1)}
}

// alloc takes nslots buffers of one period of a from the pool.
func (s *source) alloc(a format.Audio, nslots int) error {
	s.setup(a)
	s.slots = make([]slot, nslots)
	s.ring = newRing(nslots)
	for i := range s.slots {
		b, err := bufPool.Get(s.period * s.frameBytes)
		if err != nil {
			return fmt.Errorf("malgo: %d buffers of %d bytes: %w (%w)", nslots, s.period*s.frameBytes, err, backend.ErrBusy)
		}
		s.slots[i].buf, s.slots[i].data = b, b.Bytes()
		s.held.Add(1)
	}
	return nil
}

// setup records the format and starts the ticker.
func (s *source) setup(a format.Audio) {
	s.info.Audio = a
	s.frameBytes, s.period, s.rate = a.FrameBytes(), a.PeriodFrames, a.SampleRate
	s.lastData.Store(int64(backend.Now()))
	s.tick = time.NewTicker(checkEvery)
}

// useFast makes f the source's hand-off.
func (s *source) useFast(a format.Audio, f *fastPath) {
	s.setup(a)
	s.fast = f
	f.start()
}

// onData is miniaudio's data callback, on its real-time thread. It copies
// the captured frames into free slots, one period per slot, and publishes
// them. It must not allocate, lock or block.
func (s *source) onData(_, in []byte, frameCount uint32) {
	now := backend.Now()
	s.lastData.Store(int64(now))
	total := int(frameCount)
	if n := len(in) / s.frameBytes; total > n {
		total = n
	}
	for off := 0; off < total; {
		k := min(total-off, s.period)
		i, ok := s.acquire()
		if !ok {
			s.overruns.Add(1)
			s.dropped.Add(1)
			s.gap = true
		} else {
			sl := &s.slots[i]
			sl.n = copy(sl.data, in[off*s.frameBytes:(off+k)*s.frameBytes])
			sl.frames = k
			sl.seq = s.seq
			sl.ts = now - time.Duration(int64(total-off)*int64(time.Second)/int64(s.rate))
			sl.afterGap, s.gap = s.gap, false
			sl.state.Store(slotQueued)
			s.ring.push(uint32(i))
		}
		s.seq += uint64(k)
		off += k
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// acquire finds a free slot, starting after the last one used.
func (s *source) acquire() (int, bool) {
	n := len(s.slots)
	for j := range n {
		i := (s.cursor + j) % n
		if s.slots[i].state.CompareAndSwap(slotFree, slotFilling) {
			s.cursor = i + 1
			return i, true
		}
	}
	return 0, false
}

// onStop is miniaudio's stop callback: the device stopped, by Close or by
// itself.
func (s *source) onStop() {
	s.stopped.Store(true)
	if s.fast != nil {
		s.fast.notify()
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Info implements backend.Source.
func (s *source) Info() backend.Info { return s.info }

// Read implements backend.Source.
func (s *source) Read(ctx context.Context, b *backend.Buffer) error {
	if s.closed.Load() {
		return fmt.Errorf("malgo: %s: %w", s.info.Mode, backend.ErrClosed)
	}
	if err := ctx.Err(); err != nil { // even with periods waiting in the ring
		return err
	}
	if s.fast != nil {
		return s.readFast(ctx, b)
	}
	for {
		if n := s.overruns.Swap(0); n > 0 {
			s.obs.Dropped(backend.DropOverrun, n)
		}
		if i, ok := s.ring.pop(); ok {
			sl := &s.slots[i]
			sl.state.Store(slotLent)
			s.fill(b, uint64(i), sl.data[:sl.n], sl.frames, sl.seq, sl.ts, sl.afterGap)
			return nil
		}
		if err := s.lost(); err != nil {
			return err
		}
		select {
		case <-s.wake:
		case <-s.tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// readFast is Read on the C hand-off. It waits on the callback's eventfd
// in Go's netpoller, waking at least every checkEvery (flowingCheck while
// audio flows) to check the device;
// a cancelled ctx wakes it through the same eventfd.
func (s *source) readFast(ctx context.Context, b *backend.Buffer) error {
	f := s.fast
	if ctx != s.waitCtx {
		if s.stopWake != nil {
			s.stopWake()
		}
		s.waitCtx, s.stopWake = ctx, nil
		if ctx.Done() != nil {
			s.stopWake = context.AfterFunc(ctx, f.notify)
		}
	}
	for {
		if n := f.overruns(); n > 0 {
			s.obs.Dropped(backend.DropOverrun, n)
		}
		if i, ok := f.pop(); ok {
			data, frames, seq, ts, afterGap := f.slot(i)
			s.fill(b, uint64(i), data, frames, seq, ts, afterGap)
			s.sawData = true
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		switch {
		case s.stopped.Load() || (!s.sawData && now.After(s.nextCheck)):
			if err := s.lost(); err != nil {
				return err
			}
			s.nextCheck = now.Add(checkEvery)
		case s.sawData && s.nextCheck.Sub(now) < flowingCheck/2:
			// Audio is flowing: no need to check the device, nor to wake
			// for it, before flowingCheck (and a period) without audio.
			s.nextCheck = now.Add(flowingCheck + frameTime(uint64(s.period), s.rate))
		}
		s.sawData = false
		if err := f.wait(s.nextCheck); err != nil {
			return fmt.Errorf("malgo: %s: %w", s.info.Mode, err)
		}
	}
}

// fill lends slot token's period (data, frames sample frames from sample
// index seq, captured at ts) as b. afterGap marks a period that follows
// dropped ones.
func (s *source) fill(b *backend.Buffer, token uint64, data []byte, frames int, seq uint64, ts time.Duration, afterGap bool) {
	b.Planes[0] = data
	b.Strides[0] = s.frameBytes
	b.NumPlanes = 1
	b.Audio = s.info.Audio
	b.Frames = frames
	b.Sequence = seq
	if afterGap && seq > s.next {
		// The periods missing before this one were overruns, already
		// reported through the observer: the stream must not count them again.
		b.Skipped = seq - s.next
	}
	s.next = seq + uint64(frames)
	b.Timestamp = ts
	b.DeviceTimestamp = frameTime(seq, s.rate)
	b.Releaser = s
	b.Token = token
}

// frameTime is the time of sample frame n at rate, without overflowing.
func frameTime(n uint64, rate int) time.Duration {
	r := uint64(rate)
	return time.Duration(n/r)*time.Second + time.Duration(n%r*uint64(time.Second)/r)
}

// lost reports whether the device went away.
func (s *source) lost() error {
	if s.dev == nil {
		return nil
	}
	if s.fast != nil {
		if t := s.fast.lastData(); t != 0 {
			s.lastData.Store(int64(t))
		}
	}
	if s.stopped.Load() || !s.dev.IsStarted() {
		return fmt.Errorf("malgo: %s: the audio device stopped: %w", s.info.Mode, backend.ErrDeviceLost)
	}
	now := backend.Now()
	idle := now - time.Duration(s.lastData.Load())
	if s.probe != nil && idle > max(probeAfter, 5*frameTime(uint64(s.period), s.rate)) && now-s.lastProbe > probeEvery {
		// miniaudio keeps a device "started" when its server dies (PulseAudio):
		// see whether a new context can still reach the sound system.
		s.lastProbe = now
		var err error
		if berr := bounded(probeTimeout, func() { err = s.probe() }); berr != nil {
			err = berr
		}
		if err != nil {
			return fmt.Errorf("malgo: %s: no audio for %v and the sound system is unreachable (%v): %w", s.info.Mode, idle.Round(time.Millisecond), err, backend.ErrDeviceLost)
		}
	}
	if s.watchdog > 0 && idle > s.watchdog {
		return fmt.Errorf("malgo: %s: no audio for %v (watchdog %v): %w", s.info.Mode, idle.Round(time.Millisecond), s.watchdog, backend.ErrDeviceLost)
	}
	return nil
}

// ReleaseBuffer implements backend.Releaser.
func (s *source) ReleaseBuffer(token uint64) {
	if s.fast != nil {
		s.fast.release(token)
		return
	}
	if token >= uint64(len(s.slots)) {
		return
	}
	sl := &s.slots[token]
	if !sl.state.CompareAndSwap(slotLent, slotFree) {
		return
	}
	if s.closed.Load() && sl.state.CompareAndSwap(slotFree, slotDead) {
		s.drop(sl)
	}
}

func (s *source) drop(sl *slot) {
	sl.buf.Release()
	sl.buf, sl.data = nil, nil
	s.held.Add(-1)
}

// teardown stops the ticker and frees the slots, for a source that never
// reached its caller.
func (s *source) teardown() {
	if s.tick != nil {
		s.tick.Stop()
	}
	s.free()
}

// free gives back the buffers of every slot not lent out.
func (s *source) free() {
	s.closed.Store(true)
	if s.stopWake != nil {
		s.stopWake()
	}
	if s.fast != nil {
		s.fast.close()
	}
	for i := range s.slots {
		sl := &s.slots[i]
		if sl.buf == nil {
			continue
		}
		if sl.state.CompareAndSwap(slotFree, slotDead) || sl.state.CompareAndSwap(slotQueued, slotDead) {
			s.drop(sl)
		}
	}
}

// Close implements backend.Source. It uninitialises the device and its
// context and returns the slots' buffers to the pool, except those lent
// out: they go back when released. If miniaudio has not returned within
// closeTimeout (an audio server that stopped answering), Close returns an
// error matching backend.ErrDeviceLost and the rest happens when miniaudio
// returns.
func (s *source) Close() error {
	if !s.closing.CompareAndSwap(false, true) {
		return nil
	}
	if s.tick != nil {
		s.tick.Stop()
	}
	if s.dev != nil {
		done := make(chan struct{})
		go func() {
			uninit(s.dev, s.mctx)
			close(done)
		}()
		t := time.NewTimer(closeTimeout)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			// miniaudio still waits for the audio system (a PulseAudio
			// server that stopped answering): the slots are given back
			// once it lets go of the device, not before, and not never.
			go func() {
				<-done
				s.free()
			}()
			return fmt.Errorf("malgo: %s: close: %w (%v): %w", s.info.Mode, errTimeout, closeTimeout, backend.ErrDeviceLost)
		}
	}
	s.free()
	return nil
}

// uninit stops and uninitialises the device, then its context. Stopping
// first matters: ma_device_uninit does not wake a PulseAudio worker blocked
// on a dead server connection, ma_device_stop does.
func uninit(dev *malgo.Device, c *malgo.AllocatedContext) {
	if dev != nil {
		dev.Stop()
		dev.Uninit()
	}
	if c != nil {
		freeContext(c)
	}
}

var errTimeout = errors.New("miniaudio did not return in time")

// bounded runs f and waits at most d for it; f keeps running in the
// background after a timeout.
func bounded(d time.Duration, f func()) error {
	done := make(chan struct{})
	go func() {
		f()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return nil
	case <-t.C:
		return fmt.Errorf("%w (%v)", errTimeout, d)
	}
}
