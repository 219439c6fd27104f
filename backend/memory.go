package backend

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Memory is the long-lived region behind a source's buffers: a V4L2 MMAP
// buffer, an X11 shared-memory segment, a GDI DIB section, a pooled
// buffer. A source lends the same Memory with every frame it fills from
// that region, so a consumer that sets up something costly per region (a
// GPU import of host memory, a registration with a DMA engine) can key it
// by ID and do it once for the stream's life.
//
// The owner calls Teardown right before it unmaps or frees the region,
// which it does only after every frame lent from it was released. The
// functions registered with OnTeardown run then, once each, newest first,
// so a consumer can drop what it built on the region while the memory is
// still mapped.
//
// A Memory's methods are safe for concurrent use.
type Memory struct {
	id     uint64
	region []byte

	mu    sync.Mutex
	hooks []func()
	done  bool
}

// memoryIDs numbers regions process-wide, so IDs never repeat, even
// across sources or after a region was freed and its address reused.
var memoryIDs atomic.Uint64

// NewMemory returns the identity of region, the whole mapped or allocated
// area that buffers are lent from. The caller owns it and must call
// Teardown before freeing region.
func NewMemory(region []byte) *Memory {
	return &Memory{id: memoryIDs.Add(1), region: region}
}

// ID identifies the region for the life of the process; it is never 0.
func (m *Memory) ID() uint64 { return m.id }

// Bytes returns the whole region, which contains every plane of a buffer
// lent from it (at some offset).
func (m *Memory) Bytes() []byte { return m.region }

// PageAligned reports whether the region starts on a page boundary and is
// a whole number of pages long: what host-memory import
// (VK_EXT_external_memory_host) and most DMA engines need.
func (m *Memory) PageAligned() bool {
	if len(m.region) == 0 {
		return false
	}
	page := uintptr(os.Getpagesize())
	base := uintptr(unsafe.Pointer(unsafe.SliceData(m.region)))
	return base%page == 0 && uintptr(len(m.region))%page == 0
}

// Offset returns where p starts inside the region, or -1 if p is empty or
// does not lie in it.
func (m *Memory) Offset(p []byte) int {
	if len(p) == 0 || len(m.region) == 0 {
		return -1
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(m.region)))
	at := uintptr(unsafe.Pointer(unsafe.SliceData(p)))
	if at < base || at+uintptr(len(p)) > base+uintptr(len(m.region)) {
		return -1
	}
	return int(at - base)
}

// OnTeardown registers f to run when the owner tears the region down. It
// returns ErrClosed (wrapped) if that already happened; f is then not
// called.
func (m *Memory) OnTeardown(f func()) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return fmt.Errorf("backend: memory %d already torn down: %w", m.id, ErrClosed)
	}
	m.hooks = append(m.hooks, f)
	return nil
}

// Teardown runs the registered functions, newest first, and marks the
// region gone. Only the region's owner calls it, before freeing the
// memory and never while a buffer lent from it is held. Later calls do
// nothing.
func (m *Memory) Teardown() {
	m.mu.Lock()
	if m.done {
		m.mu.Unlock()
		return
	}
	m.done = true
	hooks := m.hooks
	m.hooks = nil
	m.mu.Unlock()
	for i := len(hooks) - 1; i >= 0; i-- {
		hooks[i]()
	}
}

// TornDown reports whether Teardown was called.
func (m *Memory) TornDown() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.done
}
