//go:build !(js && wasm)

package webmedia

func outstanding() int64 { return 0 }
