// Package rawconn reads and writes a socket with raw system calls, waiting
// for readiness in the runtime's poller as net.Conn does. A raw call skips
// the scheduler's system call bookkeeping, which wakes the runtime's
// monitor thread (sysmon) whenever the process was idle: for a reader
// woken every few milliseconds (a display connection at 30 fps, an audio
// stream every 10 ms) that bookkeeping costs more than the read itself.
//
// On Linux, Wrap returns a Conn whose Read and Write use raw system calls;
// elsewhere, and for connections without a file descriptor, they are the
// net.Conn's own. Deadlines, Close and errors behave as with the net.Conn.
package rawconn

import (
	"io"
	"net"
)

// Conn reads and writes a net.Conn. It is used by one reader and one
// writer at a time, like the net.Conn.
type Conn struct {
	nc  net.Conn
	raw raw
}

// Wrap returns a Conn over nc.
func Wrap(nc net.Conn) *Conn {
	c := &Conn{nc: nc}
	c.raw.init(nc)
	return c
}

// Read reads into b like net.Conn.Read; the end of the stream is io.EOF.
func (c *Conn) Read(b []byte) (int, error) { return c.read(b) }

// Write writes all of b like net.Conn.Write.
func (c *Conn) Write(b []byte) (int, error) { return c.write(b) }

var _ io.ReadWriter = (*Conn)(nil)

// Pending is how many received bytes wait in the kernel's socket buffer
// for a Read (0 where that is not known: off Linux, or for connections
// without a file descriptor).
func (c *Conn) Pending() int { return c.pending() }
