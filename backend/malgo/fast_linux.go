//go:build cgo && linux

package malgo

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <sys/eventfd.h>

// malgo's exported stop callback, linked into the same binary: the one
// pointer of malgo's inside ma_device this package can name.
extern void goStopCallback(void*);

// Slot states, as in ring.go.
enum { MAV_FREE, MAV_FILLING, MAV_QUEUED, MAV_LENT, MAV_DEAD };

typedef struct {
	uint64_t seq;
	int64_t ts;       // CLOCK_MONOTONIC ns of the period's first frame
	uint32_t frames;
	uint32_t n;       // valid bytes
	uint32_t afterGap;
	uint32_t pad;
} mav_meta;

// mav_src is the C side of a source: slots of one period each, a
// single-producer single-consumer ring of their indices, the producer's
// cursor and counters. Go reads and writes the shared fields with
// sync/atomic.
typedef struct {
	uint64_t head;      // next to pop (consumer)
	uint64_t tail;      // next to push (producer)
	uint64_t overruns;  // dropped periods not yet reported
	uint64_t dropped;   // all dropped periods
	int64_t lastData;   // CLOCK_MONOTONIC ns of the last callback
	uint64_t mask;
	uint32_t *idx;
	uint32_t *state;
	mav_meta *meta;
	unsigned char *data;
	uint32_t nslots, period, frameBytes, rate;
	uint32_t cursor, gap;
	uint64_t seq;
	int efd;
} mav_src;

static mav_src *mav_new(uint32_t nslots, uint32_t period, uint32_t frameBytes, uint32_t rate) {
	mav_src *s = calloc(1, sizeof(mav_src));
	if (s == NULL) return NULL;
	uint64_t size = 1;
	while (size < nslots) size <<= 1;
	s->mask = size - 1;
	s->idx = calloc(size, sizeof(uint32_t));
	s->state = calloc(nslots, sizeof(uint32_t));
	s->meta = calloc(nslots, sizeof(mav_meta));
	s->data = calloc((size_t)nslots * period, frameBytes);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->nslots = nslots; s->period = period; s->frameBytes = frameBytes; s->rate = rate;
	if (s->idx == NULL || s->state == NULL || s->meta == NULL || s->data == NULL || s->efd < 0) {
		if (s->efd >= 0) close(s->efd);
		free(s->idx); free(s->state); free(s->meta); free(s->data); free(s);
		return NULL;
	}
	return s;
}

// mav_free frees s but not its eventfd (Go owns it).
static void mav_free(mav_src *s) {
	free(s->idx); free(s->state); free(s->meta); free(s->data); free(s);
}

// Devices whose data callback is mav_on_data, and their sources.
#define MAV_MAX 64
static void *mav_devs[MAV_MAX];
static mav_src *mav_srcs[MAV_MAX];
#define MAV_RESERVED ((void *)1)

static mav_src *mav_find(void *dev) {
	for (int i = 0; i < MAV_MAX; i++) {
		if (__atomic_load_n(&mav_devs[i], __ATOMIC_ACQUIRE) == dev) return __atomic_load_n(&mav_srcs[i], __ATOMIC_RELAXED);
	}
	return NULL;
}

// mav_put copies frames of in into free slots, one period per slot, and
// publishes them; it wakes the reader through the eventfd. It never
// allocates, locks or blocks.
static void mav_put(mav_src *s, const unsigned char *in, uint32_t total) {
	struct timespec tsp;
	clock_gettime(CLOCK_MONOTONIC, &tsp);
	int64_t now = (int64_t)tsp.tv_sec * 1000000000 + tsp.tv_nsec;
	__atomic_store_n(&s->lastData, now, __ATOMIC_RELEASE);
	size_t pbytes = (size_t)s->period * s->frameBytes;
	for (uint32_t off = 0; off < total;) {
		uint32_t k = total - off < s->period ? total - off : s->period;
		int found = -1;
		for (uint32_t j = 0; j < s->nslots; j++) {
			uint32_t i = (s->cursor + j) % s->nslots;
			uint32_t want = MAV_FREE;
			if (__atomic_compare_exchange_n(&s->state[i], &want, MAV_FILLING, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
				found = (int)i;
				s->cursor = i + 1;
				break;
			}
		}
		if (found < 0) {
			__atomic_add_fetch(&s->overruns, 1, __ATOMIC_RELEASE);
			__atomic_add_fetch(&s->dropped, 1, __ATOMIC_RELAXED);
			s->gap = 1;
		} else {
			mav_meta *m = &s->meta[found];
			memcpy(s->data + (size_t)found * pbytes, in + (size_t)off * s->frameBytes, (size_t)k * s->frameBytes);
			m->n = k * s->frameBytes;
			m->frames = k;
			m->seq = s->seq;
			m->ts = now - (int64_t)(total - off) * 1000000000 / s->rate;
			m->afterGap = s->gap;
			s->gap = 0;
			__atomic_store_n(&s->state[found], MAV_QUEUED, __ATOMIC_RELEASE);
			uint64_t t = __atomic_load_n(&s->tail, __ATOMIC_RELAXED);
			__atomic_store_n(&s->idx[t & s->mask], (uint32_t)found, __ATOMIC_RELAXED);
			__atomic_store_n(&s->tail, t + 1, __ATOMIC_RELEASE);
		}
		s->seq += k;
		off += k;
	}
	uint64_t one = 1;
	while (write(s->efd, &one, sizeof one) < 0 && errno == EINTR) {}
}

static void mav_on_data(void *dev, void *out, const void *in, uint32_t frames) {
	mav_src *s = mav_find(dev);
	if (s != NULL && in != NULL) mav_put(s, (const unsigned char *)in, frames);
}

// mav_install checks that dev (a ma_device) holds goStopCallback exactly
// once in its first 64 bytes, at offset 40, 16 bytes after the data
// callback (ma_device starts: pContext 0, type 8, sampleRate 12, state 16,
// onData 24, onNotification 32, onStop 40 on 64-bit), with the expected
// sample rate at offset 12, then registers s and swaps the data callback
// for mav_on_data. It returns 0 on success.
static int mav_install(void *dev, mav_src *s, uint32_t rate) {
	void **p = (void **)dev;
	int at = -1;
	for (int i = 0; i < 8; i++) {
		if (p[i] == (void *)goStopCallback) {
			if (at >= 0) return -1;
			at = i;
		}
	}
	if (sizeof(void *) != 8 || at != 5 || p[0] == NULL || ((uint32_t *)dev)[3] != rate || p[3] == NULL || p[3] == (void *)goStopCallback) return -2;
	int slot = -1;
	for (int i = 0; i < MAV_MAX; i++) {
		void *want = NULL;
		// Reserve the entry (MAV_RESERVED matches no device), fill it,
		// then publish the device.
		if (__atomic_compare_exchange_n(&mav_devs[i], &want, MAV_RESERVED, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			__atomic_store_n(&mav_srcs[i], s, __ATOMIC_RELAXED);
			__atomic_store_n(&mav_devs[i], dev, __ATOMIC_RELEASE);
			slot = i;
			break;
		}
	}
	if (slot < 0) return -3;
	void *orig = p[3];
	if (!__atomic_compare_exchange_n(&p[3], &orig, (void *)mav_on_data, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		__atomic_store_n(&mav_srcs[slot], NULL, __ATOMIC_RELAXED);
		__atomic_store_n(&mav_devs[slot], NULL, __ATOMIC_RELEASE);
		return -4;
	}
	return 0;
}

// mav_uninstall forgets the device of s; call it when the device no longer
// calls back (after ma_device_uninit).
static void mav_uninstall(mav_src *s) {
	for (int i = 0; i < MAV_MAX; i++) {
		void *d = __atomic_load_n(&mav_devs[i], __ATOMIC_ACQUIRE);
		if (d != NULL && d != MAV_RESERVED && __atomic_load_n(&mav_srcs[i], __ATOMIC_RELAXED) == s) {
			__atomic_store_n(&mav_srcs[i], NULL, __ATOMIC_RELAXED);
			__atomic_store_n(&mav_devs[i], NULL, __ATOMIC_RELEASE);
		}
	}
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/format"
)

// fastPath is the hand-off that never enters Go on miniaudio's thread: a C
// data callback copies each period into C memory and wakes the reader
// through an eventfd that a goroutine waits on in Go's netpoller.
type fastPath struct {
	c        *C.mav_src
	pbytes   int
	data     []byte          // every slot, C memory
	state    []atomic.Uint32 // C memory
	idx      []atomic.Uint32 // C memory
	meta     []C.mav_meta    // C memory
	efd      *os.File
	rc       syscall.RawConn
	deadline time.Time    // the eventfd's read deadline (Read's goroutine only)
	held     atomic.Int32 // slots not yet dead
	closed   atomic.Bool
	freed    atomic.Bool
	install  bool // registered with a device
}

// newFast allocates nslots periods of a in C memory.
func newFast(a format.Audio, nslots int) *fastPath {
	c := C.mav_new(C.uint32_t(nslots), C.uint32_t(a.PeriodFrames), C.uint32_t(a.FrameBytes()), C.uint32_t(a.SampleRate))
	if c == nil {
		return nil
	}
	f := &fastPath{c: c, pbytes: a.PeriodFrames * a.FrameBytes()}
	f.data = unsafe.Slice((*byte)(unsafe.Pointer(c.data)), nslots*f.pbytes)
	f.state = unsafe.Slice((*atomic.Uint32)(unsafe.Pointer(c.state)), nslots)
	f.idx = unsafe.Slice((*atomic.Uint32)(unsafe.Pointer(c.idx)), int(c.mask)+1)
	f.meta = unsafe.Slice(c.meta, nslots)
	f.efd = os.NewFile(uintptr(c.efd), "miniav-eventfd")
	f.held.Store(int32(nslots))
	return f
}

// maDevice returns malgo's ma_device pointer (Device's only field is a
// pointer to it).
func maDevice(dev *malgo.Device) unsafe.Pointer {
	p := *(**unsafe.Pointer)(unsafe.Pointer(dev))
	if p == nil {
		return nil
	}
	return *p
}

// installFast swaps dev's data callback for the C one, before the device
// starts. It returns nil (and the Go callback stays) when dev's layout is
// not the one expected or anything else fails.
func installFast(dev *malgo.Device, a format.Audio, nslots int) *fastPath {
	if os.Getenv("MINIAV_MALGO_GOCALLBACK") != "" {
		return nil
	}
	md := maDevice(dev)
	if md == nil {
		return nil
	}
	f := newFast(a, nslots)
	if f == nil {
		return nil
	}
	if C.mav_install(md, f.c, C.uint32_t(a.SampleRate)) != 0 {
		f.close()
		return nil
	}
	f.install = true
	return f
}

// start prepares waiting on the eventfd.
func (f *fastPath) start() {
	rc, err := f.efd.SyscallConn()
	if err == nil {
		f.rc = rc
	}
}

// drainEventfd reads the eventfd's counter; it reports false when there
// was nothing to read. It is a raw system call: the read never blocks, and
// a plain one would enter the scheduler's syscall state (and wake sysmon)
// every period.
func drainEventfd(fd uintptr) bool {
	var b [8]byte
	_, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return e != syscall.EAGAIN
}

// wait parks the goroutine in Go's netpoller until the callback (or
// notify) writes the eventfd, or until deadline; it returns an error only
// when the eventfd was closed.
func (f *fastPath) wait(deadline time.Time) error {
	if f.rc == nil {
		return fmt.Errorf("malgo: eventfd not pollable: %w", backend.ErrClosed)
	}
	if !deadline.Equal(f.deadline) {
		f.deadline = deadline
		f.efd.SetReadDeadline(deadline)
	}
	err := f.rc.Read(drainEventfd)
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		return nil
	}
	return err
}

// notify wakes a waiting Read.
func (f *fastPath) notify() {
	if f.closed.Load() {
		return
	}
	b := [8]byte{1}
	f.efd.Write(b[:])
}

// put runs the C callback's copy (tests).
func (f *fastPath) put(in []byte, frames int) {
	var p *C.uchar
	if len(in) > 0 {
		p = (*C.uchar)(unsafe.Pointer(&in[0]))
	}
	C.mav_put(f.c, p, C.uint32_t(frames))
}

// pop removes the oldest published slot.
func (f *fastPath) pop() (int, bool) {
	head := (*atomic.Uint64)(unsafe.Pointer(&f.c.head))
	tail := (*atomic.Uint64)(unsafe.Pointer(&f.c.tail))
	for {
		h := head.Load()
		if h == tail.Load() {
			return 0, false
		}
		i := f.idx[h&uint64(f.c.mask)].Load()
		head.Store(h + 1)
		if f.state[i].CompareAndSwap(slotQueued, slotLent) {
			return int(i), true
		}
	}
}

func (f *fastPath) overruns() uint64 {
	return (*atomic.Uint64)(unsafe.Pointer(&f.c.overruns)).Swap(0)
}

// lastData is backend.Now() of the last callback, 0 if none.
func (f *fastPath) lastData() time.Duration {
	v := (*atomic.Int64)(unsafe.Pointer(&f.c.lastData)).Load()
	if v == 0 {
		return 0
	}
	return backend.FromMonotonic(time.Duration(v))
}

// slot returns slot i's bytes and metadata.
func (f *fastPath) slot(i int) (data []byte, frames int, seq uint64, ts time.Duration, afterGap bool) {
	m := &f.meta[i]
	return f.data[i*f.pbytes : i*f.pbytes+int(m.n) : i*f.pbytes+int(m.n)], int(m.frames), uint64(m.seq),
		backend.FromMonotonic(time.Duration(m.ts)), m.afterGap != 0
}

// release frees lent slot i.
func (f *fastPath) release(i uint64) {
	if i >= uint64(len(f.state)) || !f.state[i].CompareAndSwap(slotLent, slotFree) {
		return
	}
	if f.closed.Load() && f.state[i].CompareAndSwap(slotFree, slotDead) {
		f.drop()
	}
}

func (f *fastPath) drop() {
	if f.held.Add(-1) == 0 && f.freed.CompareAndSwap(false, true) {
		C.mav_free(f.c)
	}
}

// close stops the waiter and frees the C memory once no slot is lent.
// The device must no longer call back.
func (f *fastPath) close() {
	if !f.closed.CompareAndSwap(false, true) {
		return
	}
	if f.install {
		C.mav_uninstall(f.c)
	}
	f.efd.Close()
	n := 0
	for i := range f.state {
		if f.state[i].CompareAndSwap(slotFree, slotDead) || f.state[i].CompareAndSwap(slotQueued, slotDead) || f.state[i].CompareAndSwap(slotFilling, slotDead) {
			n++
		}
	}
	for range n {
		f.drop()
	}
}

// dropped is the number of periods the callback dropped.
func (f *fastPath) dropped() uint64 {
	return (*atomic.Uint64)(unsafe.Pointer(&f.c.dropped)).Load()
}
