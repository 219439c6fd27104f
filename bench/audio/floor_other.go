//go:build !unix

package main

import (
	"fmt"
	"os"
)

// floor needs Unix pipes and raw reads.
func floor() {
	fmt.Fprintln(os.Stderr, "the Go netpoll floor runs on Unix only")
	os.Exit(1)
}
