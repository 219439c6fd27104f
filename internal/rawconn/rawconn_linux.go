package rawconn

import (
	"io"
	"net"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

type raw struct {
	rc      syscall.RawConn
	network string
	// The buffer and results of the call in progress: fields rather than
	// closure captures, so that a read or write allocates nothing.
	rbuf, wbuf     []byte
	rn, wn         int
	rerrno, werrno syscall.Errno
	readFn         func(fd uintptr) bool
	writeFn        func(fd uintptr) bool
	queued         int32 // pending's result
	pendingFn      func(fd uintptr)
}

func ptr(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

func (r *raw) init(nc net.Conn) {
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
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, ptr(r.rbuf), uintptr(len(r.rbuf)))
		if e == unix.EAGAIN {
			return false
		}
		r.rn, r.rerrno = int(n), e
		return true
	}
	r.pendingFn = func(fd uintptr) {
		r.queued = 0 // and so it stays when the ioctl fails
		unix.RawSyscall(unix.SYS_IOCTL, fd, unix.SIOCINQ, uintptr(unsafe.Pointer(&r.queued)))
	}
	r.writeFn = func(fd uintptr) bool {
		for r.wn < len(r.wbuf) {
			n, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, ptr(r.wbuf[r.wn:]), uintptr(len(r.wbuf)-r.wn))
			if e == unix.EAGAIN {
				return false
			}
			if e != 0 {
				r.werrno = e
				return true
			}
			r.wn += int(n)
		}
		return true
	}
}

func (c *Conn) read(b []byte) (int, error) {
	r := &c.raw
	if r.rc == nil || len(b) == 0 {
		return c.nc.Read(b)
	}
	r.rbuf, r.rn, r.rerrno = b, 0, 0
	err := r.rc.Read(r.readFn)
	r.rbuf = nil
	if err != nil {
		return 0, err
	}
	if r.rerrno != 0 {
		return 0, &net.OpError{Op: "read", Net: r.network, Err: r.rerrno}
	}
	if r.rn == 0 {
		return 0, io.EOF
	}
	return r.rn, nil
}

func (c *Conn) write(b []byte) (int, error) {
	r := &c.raw
	if r.rc == nil {
		return c.nc.Write(b)
	}
	r.wbuf, r.wn, r.werrno = b, 0, 0
	err := r.rc.Write(r.writeFn)
	r.wbuf = nil
	if err != nil {
		return r.wn, err
	}
	if r.werrno != 0 {
		return r.wn, &net.OpError{Op: "write", Net: r.network, Err: r.werrno}
	}
	return r.wn, nil
}

func (c *Conn) pending() int {
	r := &c.raw
	if r.rc == nil {
		return 0
	}
	if r.rc.Control(r.pendingFn) != nil {
		return 0
	}
	return int(r.queued)
}
