package pool_test

import (
	"errors"
	"fmt"

	"github.com/miniav-go/miniav/pool"
)

// A backend that must copy (an audio callback, say) takes a pooled buffer
// per period and gives it back when the consumer releases the frame; when
// the consumer holds too much, Get fails and the backend drops the period.
func Example() {
	p := pool.New(pool.WithMaxBytes(8 << 10))
	b, err := p.Get(1920) // 10 ms of 48 kHz stereo s16
	if err != nil {
		panic(err)
	}
	copy(b.Bytes(), "samples...")
	fmt.Println(len(b.Bytes()), p.Stats().Outstanding)

	b.Retain() // a second consumer
	fmt.Println(b.Release(), b.Release(), p.Stats().Outstanding)
	fmt.Println(errors.Is(b.Release(), pool.ErrReleased))

	var held []*pool.Buffer
	for {
		b, err := p.Get(1920)
		if errors.Is(err, pool.ErrExhausted) {
			break // the backpressure signal: drop and count
		}
		held = append(held, b)
	}
	fmt.Println(len(held), "buffers fit in 8 KiB")
	for _, b := range held {
		b.Release()
	}
	// Output:
	// 1920 1
	// <nil> <nil> 0
	// true
	// 4 buffers fit in 8 KiB
}
