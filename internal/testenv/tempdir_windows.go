package testenv

import (
	"io/fs"
	"path/filepath"

	"golang.org/x/sys/windows"
)

const needOwnRemove = true

// removeAll deletes dir and everything under it, deepest first, with the
// plain Win32 calls Wine implements.
func removeAll(dir string) error {
	var files, dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		} else {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range files {
		u, err := windows.UTF16PtrFromString(f)
		if err != nil {
			return err
		}
		if err := windows.DeleteFile(u); err != nil {
			return &fs.PathError{Op: "DeleteFile", Path: f, Err: err}
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		u, err := windows.UTF16PtrFromString(dirs[i])
		if err != nil {
			return err
		}
		if err := windows.RemoveDirectory(u); err != nil {
			return &fs.PathError{Op: "RemoveDirectory", Path: dirs[i], Err: err}
		}
	}
	return nil
}
