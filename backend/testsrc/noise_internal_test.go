package testsrc

import "testing"

// The eight-byte saturating add and subtract equal the byte-wise ones
// for every pair of byte values, in every lane.
func TestSaturating(t *testing.T) {
	for a := range 256 {
		for b := range 256 {
			for lane := range 8 {
				sh := uint(8 * lane)
				// The other lanes hold values that carry or borrow.
				fill := uint64(0xff01ff01ff01ff01) &^ (0xff << sh)
				x, y := fill|uint64(a)<<sh, fill|uint64(b)<<sh
				if got, want := byte(satAdd(x, y)>>sh), byte(min(a+b, 255)); got != want {
					t.Fatalf("satAdd lane %d: %d+%d = %d, want %d", lane, a, b, got, want)
				}
				if got, want := byte(satSub(x, y)>>sh), byte(max(a-b, 0)); got != want {
					t.Fatalf("satSub lane %d: %d-%d = %d, want %d", lane, a, b, got, want)
				}
			}
		}
	}
}
