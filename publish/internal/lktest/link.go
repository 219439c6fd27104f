package lktest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miniav-go/miniav/internal/testenv"
)

// A Link is a network namespace of its own (ip netns) joined to the test's
// by a veth pair, for a node to run behind: traffic to it crosses the pair,
// whose test-side end can be throttled with tc's token bucket filter
// (netem is not available on this kind of machine; tbf is).
type Link struct {
	Netns string // the namespace's name
	Host  string // the test side's address
	Peer  string // the namespace side's address, where a node listens
	dev   string // the test side's veth, whose egress Throttle shapes
}

var linkSeq atomic.Uint32

// NewLink makes a namespace and the pair, removed when the test ends. It
// needs root and the ip command; without them it skips (fails with
// CI=true).
func NewLink(t testing.TB) *Link {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "a throttled link needs root (ip netns, tc)")
	}
	for _, c := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(c); err != nil {
			testenv.Missing(t, "%s (iproute2) is not installed", c)
		}
	}
	n := linkSeq.Add(1)
	id := fmt.Sprintf("%d%d", os.Getpid()%10000, n)
	sub := (os.Getpid()*7 + int(n)) % 250
	l := &Link{
		Netns: "mxlk" + id,
		Host:  fmt.Sprintf("10.215.%d.1", sub),
		Peer:  fmt.Sprintf("10.215.%d.2", sub),
		dev:   "mxh" + id,
	}
	peer := "mxp" + id
	steps := [][]string{
		{"netns", "add", l.Netns},
		{"link", "add", l.dev, "type", "veth", "peer", "name", peer},
		{"link", "set", peer, "netns", l.Netns},
		{"addr", "add", l.Host + "/30", "dev", l.dev},
		{"link", "set", l.dev, "up"},
		{"-n", l.Netns, "addr", "add", l.Peer + "/30", "dev", peer},
		{"-n", l.Netns, "link", "set", peer, "up"},
		{"-n", l.Netns, "link", "set", "lo", "up"},
	}
	t.Cleanup(func() {
		// Deleting the namespace deletes the pair (both ends) with it.
		exec.Command("ip", "link", "del", l.dev).Run()
		if out, err := exec.Command("ip", "netns", "del", l.Netns).CombinedOutput(); err != nil {
			t.Errorf("lktest: ip netns del %s: %v: %s", l.Netns, err, out)
		}
	})
	for _, s := range steps {
		if out, err := exec.Command("ip", s...).CombinedOutput(); err != nil {
			if s[0] == "netns" {
				testenv.Missing(t, "ip netns add: %v: %s", err, strings.TrimSpace(string(out)))
			}
			t.Fatalf("lktest: ip %s: %v: %s", strings.Join(s, " "), err, out)
		}
	}
	return l
}

// Throttle shapes what the test side sends through the link to rate
// (tc's units, e.g. "500kbit") with a token bucket: bursts of burst bytes,
// packets queued up to limit bytes. With a limit above a socket's send
// buffer nothing is dropped by the link: a sender that outruns it finds
// its socket full and its writes blocking.
func (l *Link) Throttle(rate string, burst, limit int) error {
	out, err := exec.Command("tc", "qdisc", "replace", "dev", l.dev, "root", "tbf",
		"rate", rate, "burst", fmt.Sprint(burst), "limit", fmt.Sprint(limit)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("tc qdisc replace dev %s root tbf rate %s: %v: %s", l.dev, rate, err, out)
	}
	return nil
}

// Unthrottle removes the shaping.
func (l *Link) Unthrottle() error {
	out, err := exec.Command("tc", "qdisc", "del", "dev", l.dev, "root").CombinedOutput()
	if err != nil {
		return fmt.Errorf("tc qdisc del dev %s root: %v: %s", l.dev, err, out)
	}
	return nil
}

// Backlog is tc's statistics line of the shaping qdisc (sent, dropped,
// overlimits, backlog), for logs.
func (l *Link) Backlog() string {
	out, _ := exec.Command("tc", "-s", "qdisc", "show", "dev", l.dev).CombinedOutput()
	return strings.Join(strings.Fields(string(out)), " ")
}

// Queued reports whether the shaping qdisc still holds packets.
func (l *Link) Queued() bool {
	out, err := exec.Command("tc", "-s", "qdisc", "show", "dev", l.dev).CombinedOutput()
	return err == nil && !strings.Contains(string(out), "backlog 0b 0p")
}

// Bytes are the bytes the shaping qdisc has let through and those it
// holds now (0, 0 when tc cannot say).
func (l *Link) Bytes() (sent, queued int64) {
	f := strings.Fields(l.Backlog())
	for i := 0; i+1 < len(f); i++ {
		switch f[i] {
		case "Sent":
			fmt.Sscan(f[i+1], &sent)
		case "backlog":
			fmt.Sscanf(f[i+1], "%db", &queued)
		}
	}
	return sent, queued
}

// QueueLen is what the shaping qdisc holds now ("58754b 48p"), for logs.
func (l *Link) QueueLen() string {
	f := strings.Fields(l.Backlog())
	for i := range f {
		if f[i] == "backlog" && i+2 < len(f) {
			return f[i+1] + " " + f[i+2]
		}
	}
	return "?"
}
