//go:build !js

package browsertest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Build leaves a real WebAssembly module, the runtime's loader and the page
// in the directory; a package that does not exist is an error.
func TestBuild(t *testing.T) {
	dir := t.TempDir()
	if err := Build(context.Background(), dir, "github.com/miniav-go/miniav/examples/wasm"); err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(filepath.Join(dir, "main.wasm"))
	if err != nil || !bytes.HasPrefix(wasm, []byte("\x00asm\x01\x00\x00\x00")) {
		t.Fatalf("main.wasm: %v, header % x", err, wasm[:min(8, len(wasm))])
	}
	for _, f := range []string{"wasm_exec.js", "index.html"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	err = Build(context.Background(), t.TempDir(), "github.com/miniav-go/miniav/examples/nonexistent")
	if err == nil {
		t.Fatal("building a missing package succeeded")
	}
	t.Logf("missing package: %v", err)
}
