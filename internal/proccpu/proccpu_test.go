package proccpu

import (
	"os"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The CPU reading of a process grows by at least the CPU time a thread of
// it burns (its own clock), and by no more than all CPUs could give it.
func TestCPUReading(t *testing.T) {
	if _, ok := clockSeconds(os.Getpid()); !ok {
		t.Skip("no process CPU-time clock on this system")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, before, wall := threadSeconds(t), Seconds(os.Getpid()), time.Now()
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
	}
	own := threadSeconds(t) - start
	got, elapsed := Seconds(os.Getpid())-before, time.Since(wall).Seconds()
	if own < 0.01 || got < own || got > elapsed*float64(runtime.NumCPU())+0.05 {
		t.Fatalf("CPU time grew by %.4f s; this thread ran %.4f s in %.3f s of wall time", got, own, elapsed)
	}
}

// Threads lists this process's threads, and their run times add up to no
// more than Seconds read just after (which also counts exited threads).
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
		t.Fatalf("threads sum to %.6f s, Seconds = %.6f s", sum, total)
	}
}

// Seconds counts the CPU time of threads that have exited: a goroutine
// locked to its thread spins and returns locked, so the runtime ends that
// thread; the process's time keeps what the thread's own clock measured.
func TestSecondsCountsExitedThreads(t *testing.T) {
	if _, ok := clockSeconds(os.Getpid()); !ok {
		t.Skip("no process CPU-time clock on this system")
	}
	before := Seconds(os.Getpid())
	spent := make(chan float64)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		start := threadSeconds(t)
		for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
		}
		spent <- threadSeconds(t) - start
	}()
	own := <-spent
	time.Sleep(50 * time.Millisecond) // let the thread exit
	if got := Seconds(os.Getpid()) - before; own < 0.01 || got < own {
		t.Fatalf("Seconds grew by %.4f s; the exited thread alone ran %.4f s", got, own)
	}
}
