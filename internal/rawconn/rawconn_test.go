package rawconn

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A pair of connected unix sockets, the client wrapped.
func pair(t *testing.T) (*Conn, net.Conn, net.Conn) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	peer := <-accepted
	t.Cleanup(func() { nc.Close(); peer.Close() })
	return Wrap(nc), nc, peer
}

// Bytes pass both ways in order, a large write completes across partial
// writes, the peer closing is io.EOF, and a deadline interrupts a read.
func TestReadWrite(t *testing.T) {
	c, nc, peer := pair(t)
	big := make([]byte, 4<<20) // more than the socket buffers: partial writes
	for i := range big {
		big[i] = byte(i * 7)
	}
	done := make(chan error, 1)
	go func() {
		got := make([]byte, len(big))
		_, err := io.ReadFull(peer, got)
		if err == nil && string(got) != string(big) {
			err = errors.New("peer read different bytes")
		}
		done <- err
	}()
	if n, err := c.Write(big); n != len(big) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := peer.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 16)
	if n, err := c.Read(b); err != nil || string(b[:n]) != "hello" {
		t.Fatalf("Read = %q, %v", b[:n], err)
	}
	nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := c.Read(b); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline: %v", err)
	}
	nc.SetReadDeadline(time.Time{})
	peer.Close()
	if _, err := c.Read(b); err != io.EOF {
		t.Fatalf("Read after the peer closed: %v, want io.EOF", err)
	}
}

// Reading and writing through the raw path allocates nothing.
func TestNoAllocations(t *testing.T) {
	c, _, peer := pair(t)
	b := make([]byte, 64)
	msg := []byte("ping")
	if n := testing.AllocsPerRun(100, func() {
		peer.Write(msg)
		c.Read(b)
		c.Write(msg)
		peer.Read(b)
	}); n != 0 {
		t.Fatalf("%v allocations per round trip", n)
	}
}

// Pending counts what the peer wrote and no Read has taken yet (on Linux;
// elsewhere it says 0).
func TestPending(t *testing.T) {
	c, _, peer := pair(t)
	if n := c.Pending(); n != 0 {
		t.Fatalf("Pending before any write: %d", n)
	}
	if _, err := peer.Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	want := 1000
	if runtime.GOOS != "linux" {
		want = 0
	}
	if n := c.Pending(); n != want {
		t.Fatalf("Pending after the peer wrote 1000 bytes: %d, want %d", n, want)
	}
	if _, err := io.ReadFull(c, make([]byte, 600)); err != nil {
		t.Fatal(err)
	}
	if n := c.Pending(); n != want*400/1000 {
		t.Fatalf("Pending after reading 600 of them: %d, want %d", n, want*400/1000)
	}
	if a := testing.AllocsPerRun(100, func() { c.Pending() }); a != 0 {
		t.Errorf("Pending allocates %.1f times", a)
	}
}
