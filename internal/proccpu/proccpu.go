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

// Seconds returns the CPU time of pid in seconds: the sum of its threads'
// run time from /proc/PID/task/*/schedstat (nanoseconds), or utime+stime
// from /proc/PID/stat (10 ms ticks) when that is missing. It returns 0 when
// the process cannot be read (on systems without /proc, for one).
func Seconds(pid int) float64 {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var ns float64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		if fs := strings.Fields(string(b)); len(fs) > 0 {
			v, _ := strconv.ParseFloat(fs[0], 64)
			ns += v
		}
	}
	if ns > 0 {
		return ns / 1e9
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
