package testsrc

import "unsafe"

// noise adds pseudo-random noise of up to ±n to bytes (testsrc's
// "?noise=N"), the same for the same frame index: runs of a table of
// values in 0..2n made once, at offsets that the frame and the run pick,
// added eight bytes at a time with saturating arithmetic. Under the race
// detector a byte at a time cost 24 ms per 1280x720 frame, most of a
// 30 fps budget.
type noise struct {
	words []uint64 // the table, noiseTab bytes of 0..2n, then its first noiseRun again
	tab   []byte   // the same memory as bytes
	n     int
}

const (
	noiseTab = 64 << 10
	noiseRun = 8 << 10
)

func newNoise(n int) noise {
	words := make([]uint64, (noiseTab+noiseRun)/8)
	tab := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), 8*len(words))
	span := uint64(2*n + 1)
	x := uint64(0x2545f4914f6cdd1d)
	for i := 0; i < noiseTab; {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		r := x
		for j := 0; j < 8; j++ {
			tab[i] = byte((r & 0xff) * span >> 8)
			r >>= 8
			i++
		}
	}
	copy(tab[noiseTab:], tab[:noiseRun])
	return noise{words: words, tab: tab, n: n}
}

// add adds frame k's noise to d, clamped to 0..255.
func (z noise) add(d []byte, k uint64) {
	for run := uint64(0); len(d) > 0; run++ {
		m := min(len(d), noiseRun)
		h := (k*0x9e3779b97f4a7c15 ^ run*0xc2b2ae3d27d4eb4f) * 0x165667b19e3779f9
		off := int(h>>40) % noiseTab &^ 7
		z.addRun(d[:m], off)
		d = d[m:]
	}
}

// addRun adds the table's bytes from off on, less n, to d's (at most
// noiseRun of them): eight at a time where d is aligned for it.
func (z noise) addRun(d []byte, off int) {
	i := 0
	if uintptr(unsafe.Pointer(unsafe.SliceData(d)))%8 == 0 {
		dw := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(d))), len(d)/8)
		rw := z.words[off/8:][:len(dw)]
		n := uint64(z.n) * 0x0101010101010101 // in every byte
		for j := range dw {
			dw[j] = satSub(satAdd(dw[j], rw[j]), n)
		}
		i = 8 * len(dw)
	}
	r := z.tab[off:][:len(d)]
	for ; i < len(d); i++ {
		v := int(d[i]) + int(r[i]) - z.n
		d[i] = byte(min(max(v, 0), 255))
	}
}

const (
	lo7 = 0x7f7f7f7f7f7f7f7f
	hi1 = 0x8080808080808080
)

// satAdd adds a and b byte by byte, each sum at most 255.
func satAdd(a, b uint64) uint64 {
	s := ((a & lo7) + (b & lo7)) ^ ((a ^ b) & hi1)
	over := ((a & b) | ((a | b) &^ s)) & hi1
	return s | (over>>7)*0xff
}

// satSub subtracts b from a byte by byte, each difference at least 0.
func satSub(a, b uint64) uint64 {
	d := ((a | hi1) - (b & lo7)) ^ ((a ^ ^b) & hi1)
	under := ((^a & b) | ((^a | b) & d)) & hi1
	return d &^ ((under >> 7) * 0xff)
}
