package audiotest

import (
	"encoding/binary"
	"math"
	"testing"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/format"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func sine(f float64, rate, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 0.5 * math.Sin(2*math.Pi*f*float64(i)/float64(rate))
	}
	return x
}

func TestDominantAndGlitches(t *testing.T) {
	x := sine(440, 48000, 48000)
	if f, frac := Dominant(x, 48000, 100, 2000); math.Abs(f-440) > 0.05 || frac < 0.99 {
		t.Fatalf("dominant %.3f Hz, %.3f of the energy", f, frac)
	}
	if g := Glitches(x, 440, 48000); len(g) != 0 {
		t.Fatalf("glitches in a pure tone: %v", g)
	}
	cut := append(append([]float64{}, x[:1000]...), x[1500:]...) // 500 samples lost
	if g := Glitches(cut, 440, 48000); len(g) == 0 || g[0] < 998 || g[0] > 1000 {
		t.Fatalf("glitches in a cut tone: %v, want one at 999", g)
	}
}

func TestSamples(t *testing.T) {
	s16 := binary.LittleEndian.AppendUint16(nil, uint16(0x4000))
	if v := Samples(format.Audio{SampleFormat: format.S16}, s16, nil); len(v) != 1 || v[0] != 0.5 {
		t.Fatalf("s16 %v", v)
	}
	f32 := binary.LittleEndian.AppendUint32(nil, math.Float32bits(-0.25))
	if v := Samples(format.Audio{SampleFormat: format.F32}, f32, nil); len(v) != 1 || v[0] != -0.25 {
		t.Fatalf("f32 %v", v)
	}
}
