// Package pool provides bounded, size-classed, reference-counted byte
// buffers for backends that must copy (audio callbacks, the synthetic
// source, copy-under-pressure fallbacks) and for Frame.Clone.
//
// A Pool never holds more than its byte limit: when a Get would exceed it,
// free buffers of other size classes are given back to the garbage
// collector first, and if that is not enough Get fails with ErrExhausted.
// That failure is the backpressure signal: the caller drops the frame and
// counts it, so a consumer that holds buffers can never grow memory.
//
// Steady-state Get and Release allocate nothing.
package pool

import (
	"errors"
	"fmt"
	"math/bits"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/miniav-go/miniav/backend"
)

var (
	// ErrExhausted is returned by Get when the pool's byte limit is reached.
	ErrExhausted = errors.New("pool: exhausted")
	// ErrReleased is returned by Release on a buffer with no references left.
	ErrReleased = errors.New("pool: buffer already released")
	// ErrClosed is returned by Get after Close. It wraps backend.ErrClosed.
	ErrClosed = fmt.Errorf("pool: closed: %w", backend.ErrClosed)
)

// DefaultMaxBytes is the limit of a pool made without WithMaxBytes.
const DefaultMaxBytes = 256 << 20

const minClassShift = 8 // smallest class: 256 bytes

// Pool is a bounded set of reusable buffers. It is safe for concurrent use.
type Pool struct {
	maxBytes int64
	classes  [4 * 40]class

	allocated   atomic.Int64 // bytes owned by the pool (free + outstanding)
	outstanding atomic.Int64 // buffers handed out and not yet released
	gets        atomic.Uint64
	allocs      atomic.Uint64
	exhausted   atomic.Uint64
	freed       chan struct{}
	closed      atomic.Bool
}

type class struct {
	mu   sync.Mutex
	size int
	free []*Buffer
}

// Option configures a Pool.
type Option func(*Pool)

// WithMaxBytes bounds the bytes the pool owns, free and outstanding.
func WithMaxBytes(n int64) Option { return func(p *Pool) { p.maxBytes = n } }

// New returns an empty pool.
func New(opts ...Option) *Pool {
	p := &Pool{maxBytes: DefaultMaxBytes, freed: make(chan struct{}, 1)}
	for _, o := range opts {
		o(p)
	}
	for i := range p.classes {
		p.classes[i].size = classSize(i)
	}
	return p
}

// classIndex maps a size to the smallest class that holds it. Classes are
// 2^k, 1.25·2^k, 1.5·2^k and 1.75·2^k, so at most a fifth is wasted.
func classIndex(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	k := bits.Len(uint(n-1)) - 1 // 2^k < n <= 2^(k+1)
	quarter := 1 << k >> 2
	step := (n - 1 - 1<<k) / quarter // 0..3: which quarter above 2^k
	return (k-minClassShift)*4 + step + 1
}

func classSize(i int) int {
	if i == 0 {
		return 1 << minClassShift
	}
	i--
	k := i/4 + minClassShift
	return 1<<k + (i%4+1)*(1<<k>>2)
}

// MaxBytes reports the pool's limit.
func (p *Pool) MaxBytes() int64 { return p.maxBytes }

// Get returns a buffer of n bytes with one reference. Its contents are
// whatever the last user left. It fails with ErrExhausted when the pool
// cannot hold another buffer of that size.
func (p *Pool) Get(n int) (*Buffer, error) {
	if n < 0 {
		return nil, errors.New("pool: negative size")
	}
	ci := classIndex(n)
	if ci >= len(p.classes) {
		return nil, errors.New("pool: buffer too large")
	}
	if p.closed.Load() {
		return nil, ErrClosed
	}
	p.gets.Add(1)
	c := &p.classes[ci]
	c.mu.Lock()
	var b *Buffer
	if k := len(c.free); k > 0 {
		b = c.free[k-1]
		c.free[k-1] = nil
		c.free = c.free[:k-1]
	}
	c.mu.Unlock()
	if b == nil {
		var err error
		if b, err = p.alloc(c); err != nil {
			return nil, err
		}
	}
	b.refs.Store(1)
	b.data = b.data[:n]
	p.outstanding.Add(1)
	return b, nil
}

func (p *Pool) alloc(c *class) (*Buffer, error) {
	size := int64(c.size)
	for {
		cur := p.allocated.Load()
		if cur+size > p.maxBytes {
			if p.trim(cur + size - p.maxBytes) {
				continue
			}
			p.exhausted.Add(1)
			return nil, ErrExhausted
		}
		if p.allocated.CompareAndSwap(cur, cur+size) {
			break
		}
	}
	p.allocs.Add(1)
	region := alignedRegion(c.size)
	return &Buffer{pool: p, class: c, data: region[:c.size], mem: backend.NewMemory(region)}, nil
}

// alignedRegion allocates at least n bytes. From a page up, the region
// starts on a page boundary and is a whole number of pages long, so it can
// be imported by a GPU (see backend.Memory.PageAligned).
func alignedRegion(n int) []byte {
	page := os.Getpagesize()
	if n < page {
		return make([]byte, n)
	}
	size := (n + page - 1) &^ (page - 1)
	raw := make([]byte, size+page)
	off := 0
	if r := int(uintptr(unsafe.Pointer(unsafe.SliceData(raw))) & uintptr(page-1)); r != 0 {
		off = page - r
	}
	return raw[off : off+size : off+size]
}

// trim gives free buffers back to the garbage collector until need bytes
// were freed or nothing is free. It reports whether anything was freed.
func (p *Pool) trim(need int64) bool {
	freed := int64(0)
	for i := range p.classes {
		c := &p.classes[i]
		for freed < need {
			c.mu.Lock()
			k := len(c.free) - 1
			if k < 0 {
				c.mu.Unlock()
				break
			}
			b := c.free[k]
			c.free[k] = nil
			c.free = c.free[:k]
			c.mu.Unlock()
			b.mem.Teardown() // outside the lock: a hook may use the pool
			freed += int64(c.size)
		}
		if freed >= need {
			break
		}
	}
	p.allocated.Add(-freed)
	return freed > 0
}

// Stats is a snapshot of a pool's counters.
type Stats struct {
	Outstanding int64  // buffers handed out and not yet released
	Bytes       int64  // bytes the pool owns, free and outstanding
	MaxBytes    int64  // the limit
	Gets        uint64 // successful and failed Gets
	Allocs      uint64 // Gets that had to allocate
	Exhausted   uint64 // Gets refused by the limit
}

// Stats returns the pool's counters.
func (p *Pool) Stats() Stats {
	return Stats{
		Outstanding: p.outstanding.Load(),
		Bytes:       p.allocated.Load(),
		MaxBytes:    p.maxBytes,
		Gets:        p.gets.Load(),
		Allocs:      p.allocs.Load(),
		Exhausted:   p.exhausted.Load(),
	}
}

// Buffer is a pooled byte slice with a reference count.
type Buffer struct {
	pool  *Pool
	class *class
	data  []byte
	refs  atomic.Int32
	mem   *backend.Memory
}

// Bytes returns the buffer's contents, of the length passed to Get.
func (b *Buffer) Bytes() []byte { return b.data }

// Memory returns the identity of the buffer's whole allocation, the same
// on every Get that reuses it. It is torn down when the pool gives the
// buffer back to the garbage collector (to make room, or at Close), never
// while the buffer is held.
func (b *Buffer) Memory() *backend.Memory { return b.mem }

// Retain adds a reference. Each Retain needs its own Release.
func (b *Buffer) Retain() { b.refs.Add(1) }

// Release drops a reference; the last one returns the buffer to its pool.
// Releasing a buffer with no references left returns ErrReleased and
// changes nothing.
func (b *Buffer) Release() error {
	for {
		r := b.refs.Load()
		if r <= 0 {
			return ErrReleased
		}
		if b.refs.CompareAndSwap(r, r-1) {
			if r == 1 {
				b.recycle()
			}
			return nil
		}
	}
}

// ReleaseBuffer implements backend.Releaser.
func (b *Buffer) ReleaseBuffer(uint64) { _ = b.Release() }

func (b *Buffer) recycle() {
	p, c := b.pool, b.class
	p.outstanding.Add(-1)
	c.mu.Lock()
	if p.closed.Load() {
		c.mu.Unlock()
		p.allocated.Add(-int64(c.size))
		b.mem.Teardown()
		return
	}
	c.free = append(c.free, b)
	c.mu.Unlock()
	select {
	case p.freed <- struct{}{}:
	default:
	}
}

// Freed returns a channel that receives a value after a buffer has
// returned to the pool, for a producer that found the pool exhausted and
// waits for room. One value may stand for several releases.
func (p *Pool) Freed() <-chan struct{} { return p.freed }

// Close makes later Gets fail with ErrClosed and tears down the memory of
// every free buffer now; buffers still held are torn down as they are
// released. Closing again does nothing.
func (p *Pool) Close() {
	if p.closed.Swap(true) {
		return
	}
	for i := range p.classes {
		c := &p.classes[i]
		c.mu.Lock()
		free := c.free
		c.free = nil
		c.mu.Unlock()
		for _, b := range free {
			p.allocated.Add(-int64(c.size))
			b.mem.Teardown()
		}
	}
}
