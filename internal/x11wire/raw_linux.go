package x11wire

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// rawIO does the per-request reads and writes with raw system calls on
// the socket (waiting for readiness through the runtime's poller as
// net.Conn does): a raw call does not go through the scheduler's system
// call bookkeeping, which wakes the runtime's monitor thread when the
// process was idle, a few context switches per frame at 30 fps.
type rawIO struct {
	rc      syscall.RawConn
	network string
	buf     []byte
	n       int
	errno   syscall.Errno
	readFn  func(fd uintptr) bool
	writeFn func(fd uintptr) bool
}

func (r *rawIO) init(nc net.Conn) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	r.rc, r.network = rc, nc.LocalAddr().Network()
	r.readFn = func(fd uintptr) bool {
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafePointer(r.buf)), uintptr(len(r.buf)))
		if e == unix.EAGAIN {
			return false
		}
		r.n, r.errno = int(n), e
		return true
	}
	r.writeFn = func(fd uintptr) bool {
		for r.n < len(r.buf) {
			n, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafePointer(r.buf[r.n:])), uintptr(len(r.buf)-r.n))
			if e == unix.EAGAIN {
				return false
			}
			if e != 0 {
				r.errno = e
				return true
			}
			r.n += int(n)
		}
		return true
	}
}

// rawRead reads into b like net.Conn.Read.
func (c *Conn) rawRead(b []byte) (int, error) {
	r := &c.raw
	if r.rc == nil || len(b) == 0 {
		return c.nc.Read(b)
	}
	r.buf, r.n, r.errno = b, 0, 0
	err := r.rc.Read(r.readFn)
	r.buf = nil
	if err != nil {
		return 0, err
	}
	if r.errno != 0 {
		return 0, &net.OpError{Op: "read", Net: r.network, Err: r.errno}
	}
	if r.n == 0 {
		return 0, errEOF
	}
	return r.n, nil
}

// rawWrite writes all of b like net.Conn.Write.
func (c *Conn) rawWrite(b []byte) (int, error) {
	r := &c.raw
	if r.rc == nil {
		return c.nc.Write(b)
	}
	r.buf, r.n, r.errno = b, 0, 0
	err := r.rc.Write(r.writeFn)
	r.buf = nil
	if err != nil {
		return r.n, err
	}
	if r.errno != 0 {
		return r.n, &net.OpError{Op: "write", Net: r.network, Err: r.errno}
	}
	return r.n, nil
}
