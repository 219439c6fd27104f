package backend

import (
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// On Windows the Go runtime's monotonic clock can be as coarse as the
// system tick (under Wine every reading in a tight loop was equal, so
// frames captured a few milliseconds apart got the same timestamp).
// QueryPerformanceCounter is the clock Windows itself stamps media samples
// with (Media Foundation, WASAPI, DXGI): sub-microsecond and monotonic.

var (
	qpcFreq    int64
	qpcAtEpoch int64
)

func init() {
	if queryPerformanceFrequency(&qpcFreq) != nil || qpcFreq <= 0 {
		qpcFreq = 0
		return
	}
	_ = queryPerformanceCounter(&qpcAtEpoch)
}

func now() time.Duration {
	if qpcFreq == 0 {
		return time.Since(epoch)
	}
	var c int64
	_ = queryPerformanceCounter(&c)
	return FromQPC(c)
}

// FromQPC maps a QueryPerformanceCounter reading (as WASAPI and Media
// Foundation stamp samples with) onto the process-wide epoch.
func FromQPC(counter int64) time.Duration {
	if qpcFreq == 0 {
		return 0
	}
	d := counter - qpcAtEpoch
	// Split so the multiplication cannot overflow for long uptimes.
	sec, rem := d/qpcFreq, d%qpcFreq
	return time.Duration(sec)*time.Second + time.Duration(rem*int64(time.Second)/qpcFreq)
}

var (
	kernel32 = windows.NewLazySystemDLL("kernel32.dll")
	qpcProc  = kernel32.NewProc("QueryPerformanceCounter")
	qpfProc  = kernel32.NewProc("QueryPerformanceFrequency")
)

// The calls go through syscall.SyscallN on the resolved address, not
// LazyProc.Call: Call is uintptrescapes, so every counter it wrote into
// was moved to the heap, two allocations per frame.

func queryPerformanceCounter(c *int64) error {
	if err := qpcProc.Find(); err != nil {
		return err
	}
	if r, _, err := syscall.SyscallN(qpcProc.Addr(), uintptr(unsafe.Pointer(c))); r == 0 {
		return err
	}
	return nil
}

func queryPerformanceFrequency(f *int64) error {
	if err := qpfProc.Find(); err != nil {
		return err
	}
	if r, _, err := syscall.SyscallN(qpfProc.Addr(), uintptr(unsafe.Pointer(f))); r == 0 {
		return err
	}
	return nil
}
