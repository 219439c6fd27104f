//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"unsafe"
)

// floor is the calibration child: it does nothing but wait in Go's
// netpoller for the byte its parent writes into a pipe every period, the
// way the malgo backend waits for its eventfd (a raw read in a RawConn
// callback), and prints how often it woke. It was meant as the least a Go
// consumer woken once per period costs; the pure-Go pulse backend, woken by
// a socket, measured less, so it is a reference point, not a floor.
func floor() {
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer cancel()
	if err := syscall.SetNonblock(3, true); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f := os.NewFile(3, "floor-pipe")
	rc, err := f.SyscallConn()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	context.AfterFunc(ctx, func() { f.Close() })
	var b [64]byte
	wakes, eof := 0, false
	for !eof {
		err := rc.Read(func(fd uintptr) bool {
			n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
			eof = e == 0 && n == 0
			return e != syscall.EAGAIN
		})
		if err != nil {
			break
		}
		wakes++
	}
	fmt.Printf("wakes=%d\n", wakes)
}
