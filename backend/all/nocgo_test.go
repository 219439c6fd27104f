//go:build !cgo || js

package all_test

const cgoEnabled = false
