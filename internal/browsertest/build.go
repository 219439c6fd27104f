//go:build !js

// Package browsertest builds a Go WebAssembly program and its page into a
// directory that any static file server can serve: the host side of the
// browser tests and of `go run ./examples/wasm/serve`.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Build compiles the package pkg (an import path) with GOOS=js
// GOARCH=wasm into dir/main.wasm, and copies the Go runtime's
// wasm_exec.js and the package's index.html next to it.
func Build(ctx context.Context, dir, pkg string) error {
	gobin, err := goTool()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, gobin, args...)
		cmd.Env = env
		var out, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(out.String()), nil
	}
	if _, err := run("build", "-o", filepath.Join(dir, "main.wasm"), pkg); err != nil {
		return err
	}
	goroot, err := run("env", "GOROOT")
	if err != nil {
		return err
	}
	pkgDir, err := run("list", "-f", "{{.Dir}}", pkg)
	if err != nil {
		return err
	}
	execJS := filepath.Join(goroot, "lib", "wasm", "wasm_exec.js")
	if _, err := os.Stat(execJS); err != nil {
		execJS = filepath.Join(goroot, "misc", "wasm", "wasm_exec.js") // before Go 1.24
	}
	if err := copyFile(filepath.Join(dir, "wasm_exec.js"), execJS); err != nil {
		return err
	}
	return copyFile(filepath.Join(dir, "index.html"), filepath.Join(pkgDir, "index.html"))
}

// goTool finds the go command: on PATH, else in the running toolchain's GOROOT.
func goTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("browsertest: no go command on PATH or in %s", filepath.Dir(p))
	}
	return p, nil
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
