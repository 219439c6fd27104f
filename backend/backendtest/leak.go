package backendtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// snapshot is what the process holds before a source is opened.
type snapshot struct {
	goroutines goleak.Option
	fds        []string // open descriptors' targets, nil where unknown
	shm        []int    // SysV segments this process created, nil where unknown
}

func takeSnapshot() snapshot {
	return snapshot{goroutines: goleak.IgnoreCurrent(), fds: openFDs(), shm: segments()}
}

// check fails t if, within d, goroutines, descriptors or segments remain
// that were not there at the snapshot.
func (s snapshot) check(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	var fdLeft []string
	var shmLeft []int
	for {
		fdLeft, shmLeft = extra(s.fds, openFDs()), extraInts(s.shm, segments())
		if (len(fdLeft) == 0 && len(shmLeft) == 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(fdLeft) > 0 {
		t.Errorf("leak: %d file descriptors left open after Close and the last release: %s", len(fdLeft), strings.Join(fdLeft, ", "))
	}
	if len(shmLeft) > 0 {
		t.Errorf("leak: SysV shared-memory segments %v left after Close and the last release", shmLeft)
	}
	for {
		// goleak.Find retries for about 0.4 s. On js/wasm the runtime
		// parks a goroutine for a JavaScript event it is handling.
		err := goleak.Find(s.goroutines, goleak.IgnoreAnyFunction("runtime.handleEvent"))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("leak: goroutines left after Close and the last release: %v", err)
			break
		}
	}
}

// extra returns the entries of now beyond those of before (a multiset
// difference), or nil when either is unknown.
func extra(before, now []string) []string {
	if before == nil || now == nil {
		return nil
	}
	left := map[string]int{}
	for _, s := range before {
		left[s]++
	}
	var out []string
	for _, s := range now {
		if left[s] > 0 {
			left[s]--
			continue
		}
		out = append(out, s)
	}
	return out
}

func extraInts(before, now []int) []int {
	b := make([]string, len(before))
	for i, v := range before {
		b[i] = fmt.Sprint(v)
	}
	n := make([]string, len(now))
	for i, v := range now {
		n[i] = fmt.Sprint(v)
	}
	if before == nil || now == nil {
		return nil
	}
	var out []int
	for _, s := range extra(b, n) {
		var v int
		fmt.Sscan(s, &v)
		out = append(out, v)
	}
	return out
}
