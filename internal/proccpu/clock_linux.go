package proccpu

import "golang.org/x/sys/unix"

// clockSeconds reads pid's process CPU-time clock, the clock
// clock_getcpuclockid(3) returns: the scheduler's run time of every thread,
// live and exited, in nanoseconds.
func clockSeconds(pid int) (float64, bool) {
	const cpuClockSched = 2                      // CPUCLOCK_SCHED; per-process (no CPUCLOCK_PERTHREAD_MASK bit)
	id := int32(^uint32(pid)<<3 | cpuClockSched) // MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err != nil {
		return 0, false
	}
	return float64(ts.Nano()) / 1e9, true
}
