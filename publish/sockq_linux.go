package publish

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// sendBacklog is the most bytes queued for sending (not yet handed to the
// network device; sk_wmem_alloc, the tx_queue of /proc/net/udp) over this
// process's UDP sockets, and whether it could be read. A link that carries
// what is sent keeps it near zero; one that cannot keep up fills it up to
// the socket's send buffer, when writes start to block. Unlike the time a
// write takes, it does not grow when the machine is only busy.
func sendBacklog() (int, bool) {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, false
	}
	mine := make(map[string]bool, len(fds))
	for _, fd := range fds {
		l, err := os.Readlink("/proc/self/fd/" + fd.Name())
		if err == nil && strings.HasPrefix(l, "socket:[") {
			mine[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	most, ok := 0, false
	for _, p := range []string{"/proc/self/net/udp", "/proc/self/net/udp6"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		ok = true
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Scan() // the header
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			// sl local rem st tx_queue:rx_queue tr:when retrnsmt uid timeout inode ...
			if len(f) < 10 || !mine[f[9]] {
				continue
			}
			tx, _, _ := strings.Cut(f[4], ":")
			if n, err := strconv.ParseInt(tx, 16, 64); err == nil && int(n) > most {
				most = int(n)
			}
		}
	}
	return most, ok
}
