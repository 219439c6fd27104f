package backendtest

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// openFDs lists the targets of the process's open descriptors, as
// "fd -> target" (pipes, sockets, files, dmabufs).
func openFDs() []string {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return nil
	}
	names, err := d.Readdirnames(-1)
	self := int(d.Fd())
	d.Close()
	if err != nil {
		return nil
	}
	out := []string{}
	for _, n := range names {
		if fd, _ := strconv.Atoi(n); fd == self {
			continue
		}
		target, err := os.Readlink(filepath.Join("/proc/self/fd", n))
		if err != nil {
			continue // closed meanwhile
		}
		out = append(out, n+" -> "+target)
	}
	return out
}

// segments lists the ids of the SysV shared-memory segments the process
// created (column cpid of /proc/sysvipc/shm): those left after a source is
// closed and its frames released are leaks, whoever else uses the machine.
func segments() []int {
	f, err := os.Open("/proc/sysvipc/shm")
	if err != nil {
		return nil
	}
	defer f.Close()
	pid := strconv.Itoa(os.Getpid())
	out := []int{}
	sc := bufio.NewScanner(f)
	sc.Scan() // header: key shmid perms size cpid lpid nattch ...
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 4 && fs[4] == pid {
			id, _ := strconv.Atoi(fs[1])
			out = append(out, id)
		}
	}
	return out
}
