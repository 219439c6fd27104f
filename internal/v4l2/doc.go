// Package v4l2 holds the raw Video4Linux2 kernel ABI that the V4L2 backend
// needs: the structs of <linux/videodev2.h> laid out by hand for 64-bit
// Linux (amd64, arm64, riscv64, loong64; their sizes are checked by tests
// against the kernel's), the ioctl request numbers, the constants, and thin
// typed wrappers around ioctl(2). It uses no cgo.
//
// On other systems and on 32-bit architectures the package only holds the
// constants.
package v4l2
