package proccpu

import (
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The CPU reading of a process grows by the CPU time that
// process burns (here: this test, spinning for 300 ms of wall time).
func TestCPUReading(t *testing.T) {
	before := Seconds(os.Getpid())
	x := 0
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
		x++
	}
	got := Seconds(os.Getpid()) - before
	if got < 0.2 || got > 2 {
		t.Fatalf("CPU time grew by %.3f s over a 300 ms spin (x=%d)", got, x)
	}
}

// Threads lists this process's threads, and their run times add up to no
// more than Seconds read just after.
func TestThreads(t *testing.T) {
	th := Threads(os.Getpid())
	if len(th) == 0 {
		t.Fatal("no threads read")
	}
	var sum float64
	for _, v := range th {
		sum += v
	}
	if total := Seconds(os.Getpid()); sum <= 0 || sum > total {
		t.Fatalf("threads sum to %.4f s, Seconds = %.4f s", sum, total)
	}
}
