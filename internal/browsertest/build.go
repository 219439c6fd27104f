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

// testPage runs test.wasm, a test binary, with the flags in the page's
// query (?args=-test.run%3DX+-test.v): its output collects in
// window.testOutput and its exit code in window.testExit.
const testPage = `<!doctype html>
<meta charset="utf-8">
<title>go test</title>
<script src="wasm_exec.js"></script>
<script>
window.testOutput = "";
const log = console.log.bind(console);
console.log = (...a) => { window.testOutput += a.join(" ") + "\n"; log(...a); };
const go = new Go();
const args = new URLSearchParams(location.search).get("args");
go.argv = ["test.wasm"].concat(args ? args.split(" ") : []);
go.exit = (code) => { window.testExit = code; };
WebAssembly.instantiateStreaming(fetch("test.wasm"), go.importObject)
	.then((r) => go.run(r.instance))
	.catch((e) => { window.testOutput += "loading the test binary: " + e + "\n"; window.testExit = 255; });
</script>
`

// BuildTest compiles the tests of package pkg (an import path) with
// GOOS=js GOARCH=wasm into dir/test.wasm, with the Go runtime's
// wasm_exec.js and a page, index.html, that runs the binary with the
// flags given in its ?args= query (space-separated) and leaves its output
// in window.testOutput and its exit code in window.testExit.
func BuildTest(ctx context.Context, dir, pkg string) error {
	gobin, err := goTool()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, gobin, "test", "-c", "-o", filepath.Join(dir, "test.wasm"), pkg)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go test -c %s: %w\n%s", pkg, err, out)
	}
	out, err := exec.CommandContext(ctx, gobin, "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	goroot := strings.TrimSpace(string(out))
	execJS := filepath.Join(goroot, "lib", "wasm", "wasm_exec.js")
	if _, err := os.Stat(execJS); err != nil {
		execJS = filepath.Join(goroot, "misc", "wasm", "wasm_exec.js") // before Go 1.24
	}
	if err := copyFile(filepath.Join(dir, "wasm_exec.js"), execJS); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "index.html"), []byte(testPage), 0o644)
}
