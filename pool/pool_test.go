package pool

import (
	"errors"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestClasses(t *testing.T) {
	for n := 1; n < 1<<24; n = n*5/4 + 1 {
		c := classIndex(n)
		if classSize(c) < n {
			t.Fatalf("size %d: class %d holds only %d", n, c, classSize(c))
		}
		if c > 0 && classSize(c-1) >= n {
			t.Fatalf("size %d: class %d is not the smallest (class %d holds %d)", n, c, c-1, classSize(c-1))
		}
		if n > 256 && float64(classSize(c)) > 1.25*float64(n)+1 {
			t.Fatalf("size %d: class of %d wastes more than a quarter", n, classSize(c))
		}
	}
}

func TestGetReleaseReuse(t *testing.T) {
	p := New()
	b, err := p.Get(1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Bytes()) != 1000 {
		t.Fatalf("len %d", len(b.Bytes()))
	}
	b.Bytes()[0] = 42
	if s := p.Stats(); s.Outstanding != 1 || s.Allocs != 1 {
		t.Fatalf("%+v", s)
	}
	if err := b.Release(); err != nil {
		t.Fatal(err)
	}
	if err := b.Release(); !errors.Is(err, ErrReleased) {
		t.Fatalf("double release: %v", err)
	}
	c, _ := p.Get(900) // same class: the same memory comes back
	if c != b || c.Bytes()[0] != 42 || len(c.Bytes()) != 900 {
		t.Fatal("buffer not reused")
	}
	c.Retain()
	c.Release()
	if p.Stats().Outstanding != 1 {
		t.Fatal("Retain/Release pair changed the outstanding count")
	}
	c.Release()
	if s := p.Stats(); s.Outstanding != 0 || s.Allocs != 1 || s.Gets != 2 {
		t.Fatalf("%+v", s)
	}
}

func TestBoundAndTrim(t *testing.T) {
	p := New(WithMaxBytes(3 << 20))
	a, err := p.Get(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Get(1 << 20)
	c, _ := p.Get(1 << 20)
	if _, err := p.Get(1 << 20); !errors.Is(err, ErrExhausted) {
		t.Fatalf("fourth MiB in a 3 MiB pool: %v", err)
	}
	if p.Stats().Exhausted != 1 {
		t.Fatal("exhaustion not counted")
	}
	select {
	case <-p.Freed():
		t.Fatal("Freed signalled before any release")
	default:
	}
	a.Release()
	<-p.Freed()
	b.Release()
	// Free 1 MiB buffers are given up to make room for another class.
	d, err := p.Get(2 << 20)
	if err != nil {
		t.Fatalf("2 MiB after freeing 2 MiB: %v", err)
	}
	if s := p.Stats(); s.Bytes > 3<<20 {
		t.Fatalf("pool holds %d bytes, over its limit", s.Bytes)
	}
	c.Release()
	d.Release()
}

func TestConcurrent(t *testing.T) {
	p := New(WithMaxBytes(64 << 10))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				b, err := p.Get(1000 + g*100 + i%7)
				if err != nil {
					continue
				}
				b.Bytes()[0] = byte(g)
				b.Retain()
				b.Release()
				if b.Bytes()[0] != byte(g) {
					t.Error("buffer shared while held")
				}
				b.Release()
			}
		})
	}
	wg.Wait()
	if s := p.Stats(); s.Outstanding != 0 || s.Bytes > 64<<10 {
		t.Fatalf("%+v", s)
	}
}

func TestSteadyStateAllocatesNothing(t *testing.T) {
	p := New()
	b, _ := p.Get(4096)
	b.Release()
	if n := testing.AllocsPerRun(1000, func() {
		b, _ := p.Get(4096)
		b.Release()
	}); n != 0 {
		t.Fatalf("%.1f allocs per Get/Release", n)
	}
}

func BenchmarkGetRelease(b *testing.B) {
	p := New()
	b.ReportAllocs()
	for b.Loop() {
		x, _ := p.Get(614400)
		x.Release()
	}
}
