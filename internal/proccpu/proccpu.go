// Package proccpu reads how much CPU time a process has used, for the
// benchmark programs that compare miniav with other tools side by side.
package proccpu

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const clkTck = 100 // USER_HZ on Linux

// Seconds returns the CPU time of pid in seconds, including threads that
// have exited: read from the process's CPU-time clock (nanoseconds) where
// the system has one, else utime+stime from /proc/PID/stat (10 ms ticks).
// It returns 0 when the process cannot be read (on systems without /proc,
// for one).
func Seconds(pid int) float64 {
	if s, ok := clockSeconds(pid); ok {
		return s
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fs := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseFloat(fs[11], 64)
	k, _ := strconv.ParseFloat(fs[12], 64)
	return (u + k) / clkTck
}

// Threads returns each live thread's run time in seconds from
// /proc/PID/task/*/schedstat, keyed "TID NAME". It is empty when the
// process or its schedstat files cannot be read.
func Threads(pid int) map[string]float64 {
	m := map[string]float64{}
	dirs, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	for _, d := range dirs {
		b, err := os.ReadFile(d + "/schedstat")
		fs := strings.Fields(string(b))
		if err != nil || len(fs) == 0 {
			continue
		}
		ns, _ := strconv.ParseFloat(fs[0], 64)
		comm, _ := os.ReadFile(d + "/comm")
		m[filepath.Base(d)+" "+strings.TrimSpace(string(comm))] = ns / 1e9
	}
	return m
}
