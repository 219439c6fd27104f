// Command miniav lists capture devices and captures from them.
//
//	miniav                      capture 3 s from the default camera (the
//	                            synthetic test pattern where there is none)
//	                            into miniav-capture.y4m
//	miniav devices [-kind K]    list devices and their formats
//	miniav devices -watch       then print devices added and removed
//	miniav capture [flags]      capture into a .y4m, .wav or .png file, or
//	                            to stdout with -o - (y4m or WAV, for pipes)
//
// Run "miniav capture -h" for the capture flags. Errors are one line on
// stderr and a non-zero exit status.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/miniav-go/miniav/backend/all"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	stop := interrupts(cancel, func(sig os.Signal) {
		fmt.Fprintf(os.Stderr, "\nminiav: %v again, aborting\n", sig)
		os.Exit(exitCode(sig))
	})
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// interrupts makes the first SIGINT or SIGTERM call cancel, which ends a
// capture as the user asked (the file finalized, the summary printed,
// exit 0), and a second one call abort.
func interrupts(cancel func(), abort func(os.Signal)) (stop func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-sigs:
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			abort(sig)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
		<-exited
		cancel()
	}
}

// exitCode is the shell's status for a process ended by sig.
func exitCode(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// errUsage marks errors that come from bad command lines.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "capture"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "devices":
		err = devicesCmd(ctx, args, stdout)
	case "capture":
		err = captureCmd(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprintln(stdout, "usage: miniav [devices|capture] [flags]; miniav <command> -h for flags")
		return 0
	default:
		err = fmt.Errorf("unknown command %q (want devices or capture): %w", cmd, errUsage)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "miniav:", err)
		return 2
	}
	fmt.Fprintln(stderr, "miniav:", err)
	return 1
}
