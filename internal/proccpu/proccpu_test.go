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
