package gpu

import (
	"math"
	"testing"
)

// Every fixed-point coefficient is the standard's value (from Kr and Kb)
// times 256, scaled for limited range, rounded.
func TestCoefficients(t *testing.T) {
	for cs, k := range map[ColorSpace][2]float64{
		BT601Limited: {0.299, 0.114}, BT601Full: {0.299, 0.114},
		BT709Limited: {0.2126, 0.0722}, BT709Full: {0.2126, 0.0722},
	} {
		kr, kb := k[0], k[1]
		kg := 1 - kr - kb
		ys, cs2 := 1.0, 1.0
		yoff := int32(0)
		if cs == BT601Limited || cs == BT709Limited {
			ys, cs2, yoff = 255.0/219, 255.0/224, 16
		}
		r := func(v float64) int32 { return int32(math.Round(v * 256)) }
		want := coef{r(ys), yoff, r(2 * (1 - kr) * cs2), r(2 * kb * (1 - kb) / kg * cs2), r(2 * kr * (1 - kr) / kg * cs2), r(2 * (1 - kb) * cs2)}
		if got := coefs[cs]; got != want {
			t.Errorf("%v: coefficients %+v, want %+v", cs, got, want)
		}
	}
}
