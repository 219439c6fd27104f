package backend

import (
	"context"
	"errors"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type named string

func (n named) Name() string                                       { return string(n) }
func (named) Devices(context.Context) ([]Device, error)            { return nil, nil }
func (named) Open(context.Context, string, Config) (Source, error) { return nil, ErrNotSupported }

func TestRegistry(t *testing.T) {
	Register(named("regtest-b"))
	Register(named("regtest-a"))
	b, addr, err := Resolve("regtest-a::0/window/0x1")
	if err != nil || b.Name() != "regtest-a" || addr != ":0/window/0x1" {
		t.Fatalf("Resolve = %v, %q, %v", b, addr, err)
	}
	var names []string
	for _, b := range All() {
		names = append(names, b.Name())
	}
	ia, ib := -1, -1
	for i, n := range names {
		switch n {
		case "regtest-a":
			ia = i
		case "regtest-b":
			ib = i
		}
	}
	if ia < 0 || ib < 0 || ia > ib {
		t.Fatalf("All() = %v: not sorted or missing", names)
	}
	for _, id := range []string{"nope:x", ":x", "noscheme"} {
		if _, _, err := Resolve(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Resolve(%q) = %v", id, err)
		}
	}
	for _, bad := range []string{"regtest-a", "", "a:b"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", bad)
				}
			}()
			Register(named(bad))
		}()
	}
}

func TestNowIsMonotonic(t *testing.T) {
	a := Now()
	b := Now()
	if a < 0 || b < a {
		t.Fatalf("Now went from %v to %v", a, b)
	}
}

// TestNowResolution: frames captured a millisecond apart must get distinct
// timestamps. On Windows the runtime's clock can tick at the system timer's
// rate (under Wine 1000 readings in a row were all equal). A clock finer
// than 100 µs shows 100 distinct readings long before 2,000,000 calls.
func TestNowResolution(t *testing.T) {
	distinct, last, start := 0, Now(), Now()
	for i := 0; i < 2_000_000 && distinct < 100; i++ {
		n := Now()
		if n < last {
			t.Fatalf("Now went back from %v to %v", last, n)
		}
		if n != last {
			distinct++
			last = n
		}
	}
	if distinct < 100 {
		t.Fatalf("Now changed %d times in 2,000,000 readings over %v; want a clock finer than 100 µs", distinct, last-start)
	}
}

func TestNames(t *testing.T) {
	if KindLoopback.String() != "loopback" || !KindLoopback.Audio() || KindCamera.Audio() {
		t.Error("kinds")
	}
	for k := KindCamera; k <= KindLoopback; k++ {
		if got, ok := ParseKind(k.String()); !ok || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, ok)
		}
	}
	if _, ok := ParseKind("unknown"); ok {
		t.Error(`ParseKind("unknown") succeeded`)
	}
	if DropQueueOldest.String() != "queue_oldest" || DropStopped.String() != "stopped" || NumDropReasons.String() != "unknown" {
		t.Error("drop reasons")
	}
	if ControlMenu.String() != "menu" {
		t.Error("control types")
	}
}

func TestNowAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(1000, func() { _ = Now() }); n != 0 {
		t.Fatalf("Now: %.2f allocations per call", n)
	}
}
