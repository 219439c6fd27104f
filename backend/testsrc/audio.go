package testsrc

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/pool"
)

// Amplitude is the tone's peak amplitude relative to full scale.
const Amplitude = 0.5

type audioSource struct {
	sched
	a    format.Audio
	freq float64
	pool *pool.Pool
	lose int64
}

func openAudio(cfg backend.Config, p params) (*audioSource, error) {
	a := cfg.Audio
	if a.SampleRate == 0 {
		a.SampleRate = 48000
	}
	if a.Channels == 0 {
		a.Channels = 1
	}
	if a.SampleFormat == 0 {
		a.SampleFormat = format.S16
	}
	if a.PeriodFrames == 0 {
		a.PeriodFrames = a.SampleRate / 100
	}
	if a.SampleFormat != format.S16 && a.SampleFormat != format.F32 {
		return nil, fmt.Errorf("testsrc: sample format %v (have s16, f32): %w", a.SampleFormat, backend.ErrNotSupported)
	}
	if a.SampleRate < 8000 || a.SampleRate > 384000 || a.Channels < 1 || a.Channels > 32 || a.PeriodFrames < 1 || a.PeriodFrames > a.SampleRate*10 {
		return nil, fmt.Errorf("testsrc: audio format %v: %w", a, backend.ErrNotSupported)
	}
	if p.freq*2 > float64(a.SampleRate) {
		return nil, fmt.Errorf("testsrc: tone %v Hz is above the Nyquist frequency of %d Hz: %w", p.freq, a.SampleRate/2, backend.ErrNotSupported)
	}
	size := a.PeriodFrames * a.FrameBytes()
	n := max(cfg.Buffers, 2)
	s := &audioSource{a: a, freq: p.freq, lose: p.lose, pool: pool.New(pool.WithMaxBytes(int64(n) * int64(size+size/4+256)))}
	period := time.Duration(int64(a.PeriodFrames) * int64(time.Second) / int64(a.SampleRate))
	s.sched.init(period, cfg.Unpaced)
	return s, nil
}

func (s *audioSource) Info() backend.Info {
	return backend.Info{Kind: backend.KindMicrophone, Audio: s.a, Mode: "synthetic"}
}

func (s *audioSource) Close() error {
	s.sched.close()
	s.pool.Close()
	return nil
}

func (s *audioSource) Read(ctx context.Context, b *backend.Buffer) error {
	for {
		k, ts, err := s.sched.next(ctx)
		if err != nil {
			return err
		}
		if s.lose >= 0 && int64(k) >= s.lose {
			return fmt.Errorf("testsrc: device lost after %d periods (lose=%d): %w", k, s.lose, backend.ErrDeviceLost)
		}
		pb, err := s.pool.Get(s.a.PeriodFrames * s.a.FrameBytes())
		if err != nil {
			if s.sched.unpaced {
				if err := s.sched.waitFreed(ctx, s.pool.Freed()); err != nil {
					return err
				}
				s.sched.k--
				continue
			}
			continue
		}
		first := k * uint64(s.a.PeriodFrames)
		s.fill(pb.Bytes(), first)
		b.Planes[0] = pb.Bytes()
		b.NumPlanes = 1
		b.Strides[0] = s.a.FrameBytes()
		b.Audio = s.a
		b.Frames = s.a.PeriodFrames
		b.Timestamp = ts
		b.DeviceTimestamp = s.sched.deviceTime(k)
		b.Sequence = first
		b.Releaser, b.Memory = pb, pb.Memory()
		return nil
	}
}

// fill writes the tone's sample frames first, first+1, ... into d.
func (s *audioSource) fill(d []byte, first uint64) {
	ch, rate := s.a.Channels, float64(s.a.SampleRate)
	step := 2 * math.Pi * s.freq / rate
	for i := range s.a.PeriodFrames {
		v := Amplitude * math.Sin(step*float64(first+uint64(i)))
		switch s.a.SampleFormat {
		case format.S16:
			x := uint16(int16(math.Round(v * 32767)))
			for c := range ch {
				binary.LittleEndian.PutUint16(d[(i*ch+c)*2:], x)
			}
		case format.F32:
			x := math.Float32bits(float32(v))
			for c := range ch {
				binary.LittleEndian.PutUint32(d[(i*ch+c)*4:], x)
			}
		}
	}
}
