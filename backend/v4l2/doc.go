// Package v4l2 captures Video4Linux2 cameras, registered under the scheme
// "v4l2". It is pure Go (ioctl and mmap through golang.org/x/sys/unix, no
// cgo) and exists on 64-bit Linux (amd64, arm64, riscv64, loong64); on
// other systems the package is empty.
//
// Device IDs are the node's path: "v4l2:/dev/video0". Devices lists every
// /dev/video* node whose VIDIOC_QUERYCAP device capabilities include video
// capture (single- or multi-planar) with streaming I/O; output, metadata
// and memory-to-memory nodes are skipped. Name is the driver's card name;
// Attrs holds "driver", "bus_info" and "api" ("single-planar" or
// "multi-planar"). Video lists every pixel format (VIDIOC_ENUM_FMT) with
// its frame sizes (discrete sizes one by one, stepwise and continuous
// ranges as a format.SizeRange) and frame rates (VIDIOC_ENUM_FRAMEINTERVALS,
// as rationals; for a size range, the rates at its largest size).
//
// Opening sets the format with VIDIOC_S_FMT and the frame rate with
// VIDIOC_S_PARM and reports what the driver chose in Info().Video: drivers
// adjust sizes and clamp rates. A pixel format the device does not offer is
// refused with backend.ErrNotSupported. Multi-planar "M" formats (NM12,
// YM12, ...) are reported as their contiguous miniav equivalent (NV12,
// I420, ...) with one plane per kernel plane; compressed formats (MJPEG)
// are delivered as one plane of bytesused bytes.
//
// Capture uses MMAP buffers (Config.Buffers, default 4). A frame's planes
// are slices of the kernel buffer itself: nothing is copied. Releasing the
// frame re-queues the buffer (VIDIOC_QBUF), from any goroutine, also after
// the stream closed. Buffers stay mapped until streaming stopped and the
// last lent frame was released, so a frame held across Close keeps its
// bytes. When the driver supports VIDIOC_EXPBUF every plane is also exported
// as a DMA-BUF (Frame.Video().DMABuf), closed with the buffers.
//
// Under pressure (Config.CopyThreshold: fewer than that many buffers left
// queued to the driver) a frame is copied into a bounded pool, its kernel
// buffer re-queued at once, and the copy counted (Observer.Copied) so the
// driver never runs dry. Buffers the driver marks with V4L2_BUF_FLAG_ERROR
// are re-queued and counted as backend.DropError (and, as with a frame
// dropped because the copy pool is exhausted, the sequence number it takes
// is also seen by the stream as a gap, a device drop).
//
// Waiting is a poll(2) on the device and an eventfd: cancellation of the
// read context (context.AfterFunc, registered once) and a release while no
// buffer was queued write the eventfd. There is no timeout loop and no
// goroutine per frame; a consumer that keeps up costs two syscalls per frame
// (poll, DQBUF) plus the QBUF of its release, and no allocation. Frames carry the driver's sequence number and its
// CLOCK_MONOTONIC timestamp mapped onto the shared epoch
// (backend.FromMonotonic); DeviceTimestamp is the raw kernel timestamp.
//
// A device that goes away (ENODEV, EIO from DQBUF, POLLHUP) ends the
// stream with an error matching backend.ErrDeviceLost; EBUSY gives
// backend.ErrBusy. Paths that are not V4L2 capture devices are refused
// without any ioctl beyond VIDIOC_QUERYCAP: a missing path with
// backend.ErrNotFound, a directory, regular file or other character device
// with backend.ErrNotSupported.
//
// Open sources implement backend.Controller (miniav.Stream.Controls): the
// device's controls listed with VIDIOC_QUERY_EXT_CTRL, menus with
// VIDIOC_QUERYMENU, values read and written with VIDIOC_G/S_EXT_CTRLS.
package v4l2

// Name is the backend's scheme.
const Name = "v4l2"
