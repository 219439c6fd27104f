//go:build !windows

package testenv

import "os"

const needOwnRemove = false

func removeAll(dir string) error { return os.RemoveAll(dir) }
