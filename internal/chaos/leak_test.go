//go:build chaos && linux && cgo

package chaos

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// leaks is what the process holds at a moment: goroutines, descriptors
// and the SysV segments it created.
type leaks struct {
	goroutines goleak.Option
	fds        []string
	shm        []string
}

func snapshot() leaks {
	return leaks{goroutines: goleak.IgnoreCurrent(), fds: openFDs(), shm: segments()}
}

// check fails t if, within d, the process still holds descriptors,
// segments or goroutines it did not hold at the snapshot, and returns how
// many of each.
func (l leaks) check(t *testing.T, d time.Duration) (fdsLeft, shmLeft, goroutinesLeft int) {
	t.Helper()
	deadline := time.Now().Add(d)
	var fds, shm []string
	for {
		fds, shm = extra(l.fds, openFDs()), extra(l.shm, segments())
		if len(fds)+len(shm) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(fds) > 0 {
		t.Errorf("leak: %d file descriptors left at the end: %s", len(fds), strings.Join(fds, ", "))
	}
	if len(shm) > 0 {
		t.Errorf("leak: SysV segments created by this process left at the end: %s", strings.Join(shm, "; "))
	}
	for {
		err := goleak.Find(l.goroutines)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("leak: goroutines left at the end: %v", err)
			goroutinesLeft = strings.Count(err.Error(), "Goroutine ")
			break
		}
	}
	return len(fds), len(shm), goroutinesLeft
}

// extra is the multiset difference now − before.
func extra(before, now []string) []string {
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

// openFDs lists the process's descriptors as "fd -> target".
func openFDs() []string {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	self := strconv.Itoa(int(d.Fd()))
	d.Close()
	var out []string
	for _, n := range names {
		if n == self {
			continue
		}
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", n)); err == nil {
			out = append(out, n+" -> "+target)
		}
	}
	slices.Sort(out)
	return out
}

// segments lists the SysV shared-memory segments this process created
// (column cpid of /proc/sysvipc/shm), as "shmid size nattch".
func segments() []string {
	f, err := os.Open("/proc/sysvipc/shm")
	if err != nil {
		return nil
	}
	defer f.Close()
	pid := strconv.Itoa(os.Getpid())
	var out []string
	sc := bufio.NewScanner(f)
	sc.Scan() // key shmid perms size cpid lpid nattch ...
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) > 6 && fs[4] == pid {
			out = append(out, "shmid "+fs[1]+" size "+fs[3]+" nattch "+fs[6])
		}
	}
	return out
}
