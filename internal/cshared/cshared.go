// Package cshared builds a package as a C shared library for the tests of
// miniav's C interfaces (cabi, cabi/miniavc), once per test binary.
package cshared

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniav-go/miniav/internal/testenv"
)

// A Lib is one library to build; its zero value is ready.
//
// It is built with GOEXPERIMENT=cgocheck2, so that every pointer the
// library hands to C is checked against the cgo rules (a plane lent
// without its pin is a fatal "unpinned Go pointer stored into non-Go
// memory"), and without -race: a c-shared library built with -race cannot
// be loaded by a C program here (ThreadSanitizer fails to map its shadow
// memory inside the host process).
type Lib struct {
	once      sync.Once
	dir, path string
	err       error
}

// Name is the file name of library base ("miniav") on this OS.
func Name(base string) string {
	switch runtime.GOOS {
	case "darwin":
		return "lib" + base + ".dylib"
	case "windows":
		return base + ".dll"
	}
	return "lib" + base + ".so"
}

// Build builds the package in directory pkg as library base (with the
// build tags given) and returns its directory and path. It skips t where
// C clients are not driven (outside linux and darwin) or gcc is missing.
func (l *Lib) Build(t testing.TB, pkg, base string, tags ...string) (dir, path string) {
	t.Helper()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skipf("the C clients are driven on linux and darwin only (GOOS=%s)", runtime.GOOS)
	}
	testenv.LookPath(t, "gcc") // cgo needs a C compiler to build the library
	l.once.Do(func() {
		l.dir, l.err = os.MkdirTemp("", "miniav-cshared-")
		if l.err != nil {
			return
		}
		l.path = filepath.Join(l.dir, Name(base))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		args := []string{"build", "-buildmode=c-shared"}
		for _, tag := range tags {
			args = append(args, "-tags", tag)
		}
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.CommandContext(ctx, gobin, append(args, "-o", l.path, pkg)...)
		exp := "cgocheck2"
		if e := os.Getenv("GOEXPERIMENT"); e != "" {
			exp = e + "," + exp
		}
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOEXPERIMENT="+exp)
		if out, err := cmd.CombinedOutput(); err != nil {
			l.err = fmt.Errorf("go build -buildmode=c-shared %s: %v\n%s", pkg, err, out)
		}
	})
	if l.err != nil {
		t.Fatal(l.err)
	}
	return l.dir, l.path
}

// Remove deletes the library (from TestMain, after the tests).
func (l *Lib) Remove() {
	if l.dir != "" {
		os.RemoveAll(l.dir)
	}
}

// Run runs cmd and returns its output, failing t (with the output) if it
// fails.
func Run(t testing.TB, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return string(out)
}
