package testenv

import (
	"os"
	"testing"
)

// TempDir is t.TempDir for tests that also run as Windows binaries under
// Wine: Wine 8 lacks the FileDispositionInformationEx class Go's
// os.RemoveAll uses on Windows, so t.TempDir's clean-up fails every test
// there. On Windows the directory is removed with DeleteFile and
// RemoveDirectory instead; elsewhere this is t.TempDir.
func TempDir(t testing.TB) string {
	t.Helper()
	if !needOwnRemove {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "miniav-test-")
	if err != nil {
		t.Fatalf("TempDir: %v", err)
	}
	t.Cleanup(func() {
		if err := removeAll(dir); err != nil {
			t.Errorf("TempDir clean-up: %v", err)
		}
	})
	return dir
}
