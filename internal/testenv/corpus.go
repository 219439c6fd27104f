package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteCorpus saves one seed input of fuzz target target in Go's corpus
// file format ("go test fuzz v1" and one []byte line per argument) under
// testdata/fuzz/target of the current directory (a test's package
// directory). The file is named prefix and a hash of the input, so
// recording the same traffic again rewrites the same files.
func WriteCorpus(target, prefix string, args ...[]byte) error {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	h := sha256.New()
	for _, a := range args {
		fmt.Fprintf(&b, "[]byte(%q)\n", a)
		h.Write(a)
	}
	dir := filepath.Join("testdata", "fuzz", target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := prefix + "-" + hex.EncodeToString(h.Sum(nil))[:16]
	return os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644)
}
