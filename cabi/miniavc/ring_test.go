//go:build cgo

package main

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/miniav-go/miniav/format"
)

func TestRingOverwritesOldest(t *testing.T) {
	r := newRing(4, 2)
	s16 := func(vs ...int16) []byte {
		b := make([]byte, 2*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
		}
		return b
	}
	// Six stereo frames into a ring of four: frames 0 and 1 are overwritten;
	// a trailing half frame is ignored.
	r.write(append(s16(0, 0, 4096, -4096, 8192, -8192), 0x00, 0x10), format.S16, 2)
	r.write(s16(12288, -12288, 16384, -16384, -32768, 32767), format.S16, 2)
	if n := r.frames(); n != 4 {
		t.Fatalf("%d frames held, want 4", n)
	}
	r.write(s16(1, 2), format.S16, 1) // another channel count: ignored
	dst := make([]float32, 6)
	if n := r.read(dst); n != 3 {
		t.Fatalf("read %d frames into room for 3", n)
	}
	want := []float32{0.25, -0.25, 0.375, -0.375, 0.5, -0.5}
	if !slices.Equal(dst, want) {
		t.Fatalf("read %v, want %v", dst, want)
	}
	rest := make([]float32, 8)
	if n := r.read(rest); n != 1 || rest[0] != -1 || rest[1] != float32(32767)/32768 {
		t.Fatalf("then %d frames %v", n, rest[:2])
	}
	if n := r.read(rest); n != 0 || r.frames() != 0 {
		t.Fatalf("read %d from an empty ring (%d held)", n, r.frames())
	}
}

func TestRingFormats(t *testing.T) {
	f32 := make([]byte, 4)
	binary.LittleEndian.PutUint32(f32, math.Float32bits(-0.75))
	s32 := make([]byte, 4)
	binary.LittleEndian.PutUint32(s32, uint32(1<<30))
	for _, c := range []struct {
		sf   format.SampleFormat
		in   []byte
		want float32
	}{
		{format.U8, []byte{192}, 0.5},
		{format.U8, []byte{0}, -1},
		{format.S24, []byte{0x00, 0x00, 0xc0}, -0.5},
		{format.S32, s32, 0.5},
		{format.F32, f32, -0.75},
	} {
		r := newRing(2, 1)
		r.write(c.in, c.sf, 1)
		got := make([]float32, 1)
		if n := r.read(got); n != 1 || got[0] != c.want {
			t.Errorf("%v % x: read %d frames %v, want %v", c.sf, c.in, n, got, c.want)
		}
	}
}
