"""A Python ctypes program of the MiniAV 0.7 API (standard library only),
run against miniav's libminiav_c by cabi/miniavc's tests:

    MINIAVC_LIB=/path/libminiav_c.so MINIAV_TEST_BARS="y,u,v ..." python3 client.py

It captures testsrc:camera through the buffer callback, checks each buffer
after the callback returned (on the main thread: the buffers stay valid until
MiniAV_ReleaseBuffer), and prints OK.
"""
import ctypes as C
import os
import queue
import sys

lib = C.CDLL(os.environ["MINIAVC_LIB"])
bars = [tuple(int(v) for v in b.split(",")) for b in os.environ["MINIAV_TEST_BARS"].split()]


class DeviceInfo(C.Structure):
    _pack_ = 1  # 0.7's MiniAVDeviceInfo: 513 bytes, arrays packed
    _fields_ = [("device_id", C.c_char * 256), ("name", C.c_char * 256), ("is_default", C.c_bool)]


class VideoInfo(C.Structure):
    _fields_ = [("width", C.c_uint32), ("height", C.c_uint32), ("pixel_format", C.c_int),
                ("fps_num", C.c_uint32), ("fps_den", C.c_uint32), ("output_preference", C.c_int)]


class AudioInfo(C.Structure):
    _fields_ = [("format", C.c_int), ("sample_rate", C.c_uint32), ("channels", C.c_uint8), ("num_frames", C.c_uint32)]


class Plane(C.Structure):
    _fields_ = [("data_ptr", C.c_void_p), ("width", C.c_uint32), ("height", C.c_uint32), ("stride_bytes", C.c_uint32),
                ("offset_bytes", C.c_uint32), ("subresource_index", C.c_uint32), ("dmabuf_fd", C.c_int),
                ("drm_format_modifier", C.c_uint64)]


class Video(C.Structure):
    _fields_ = [("info", VideoInfo), ("num_planes", C.c_uint32), ("planes", Plane * 4)]


class Audio(C.Structure):
    _fields_ = [("frame_count", C.c_uint32), ("info", AudioInfo), ("data", C.c_void_p)]


class Data(C.Union):
    _fields_ = [("video", Video), ("audio", Audio)]


class Fence(C.Structure):
    _fields_ = [("sync_fd", C.c_int), ("d3d11_fence", C.c_void_p), ("metal_shared_event", C.c_void_p),
                ("metal_fence_value", C.c_uint64)]


class Buffer(C.Structure):
    _fields_ = [("type", C.c_int), ("content_type", C.c_int), ("timestamp_us", C.c_int64), ("data", Data),
                ("data_size_bytes", C.c_size_t), ("user_data", C.c_void_p), ("internal_handle", C.c_void_p),
                ("native_fence", Fence)]


assert C.sizeof(DeviceInfo) == 513 and C.sizeof(Buffer) == 264 and C.sizeof(AudioInfo) == 16

BufferCallback = C.CFUNCTYPE(None, C.POINTER(Buffer), C.c_void_p)
lib.MiniAV_GetVersionString.restype = C.c_char_p
lib.MiniAV_GetErrorString.restype = C.c_char_p
lib.MiniAV_ReleaseBuffer.argtypes = [C.c_void_p]
for f in ("Configure", "StartCapture", "StopCapture", "DestroyContext"):
    getattr(lib, "MiniAV_Camera_" + f).argtypes = {
        "Configure": [C.c_void_p, C.c_char_p, C.POINTER(VideoInfo)],
        "StartCapture": [C.c_void_p, BufferCallback, C.c_void_p],
    }.get(f, [C.c_void_p])

SUCCESS, INVALID_HANDLE, I420, VIDEO = 0, -7, 11, 1


def ok(rc, what):
    if rc != SUCCESS:
        sys.exit("FAIL %s: %d (%s)" % (what, rc, lib.MiniAV_GetErrorString(rc).decode()))


def stamp(y, stride, w, h):
    """The frame index testsrc draws in the top rows (testsrc.DecodeIndex)."""
    bw, bh = (w // 32) & ~1, (min(h // 4, 16)) & ~1
    k = 0
    for bit in range(32):
        v = y[(bh // 2) * stride + bit * bw + bw // 2]
        if v >= 200:
            k |= 1 << (31 - bit)
        elif v > 40:
            return -1
    return k


print("library", lib.MiniAV_GetVersionString().decode())
devs, n = C.POINTER(DeviceInfo)(), C.c_uint32()
ok(lib.MiniAV_Camera_EnumerateDevices(C.byref(devs), C.byref(n)), "EnumerateDevices")
ids = [devs[i].device_id.decode() for i in range(n.value)]
lib.MiniAV_FreeDeviceList(devs, n)
assert "testsrc:camera" in ids, ids

cam = C.c_void_p()
ok(lib.MiniAV_Camera_CreateContext(C.byref(cam)), "CreateContext")
ok(lib.MiniAV_Camera_Configure(cam, b"testsrc:camera", C.byref(VideoInfo(160, 120, I420, 60, 1, 0))), "Configure")
buffers = queue.Queue()


@BufferCallback
def on_buffer(buf, ud):
    buffers.put(C.addressof(buf.contents))  # read later, on the main thread


ok(lib.MiniAV_Camera_StartCapture(cam, on_buffer, None), "StartCapture")
last_ts = last_k = -1
for i in range(10):
    b = Buffer.from_address(buffers.get(timeout=10))
    v = b.data.video
    assert b.type == VIDEO and b.content_type == 0, (b.type, b.content_type)
    assert (v.info.width, v.info.height, v.info.pixel_format, v.num_planes) == (160, 120, I420, 3)
    assert [v.planes[p].stride_bytes for p in range(3)] == [160, 80, 80] and not v.planes[3].data_ptr
    y = C.cast(v.planes[0].data_ptr, C.POINTER(C.c_uint8))
    k = stamp(y, 160, 160, 120)
    assert k > last_k and b.timestamp_us > last_ts, (k, last_k, b.timestamp_us, last_ts)
    x = 10  # the first bar of frame k
    off = (k * 4 % 160) & ~1
    bar = ((x + off) % 160) * 8 // 160
    assert y[60 * 160 + x] == bars[bar][0], (y[60 * 160 + x], bars[bar])
    last_k, last_ts = k, b.timestamp_us
    h = b.internal_handle
    ok(lib.MiniAV_ReleaseBuffer(h), "ReleaseBuffer")
    if i == 0:
        assert lib.MiniAV_ReleaseBuffer(h) == INVALID_HANDLE
ok(lib.MiniAV_Camera_StopCapture(cam), "StopCapture")
while not buffers.empty():
    ok(lib.MiniAV_ReleaseBuffer(Buffer.from_address(buffers.get()).internal_handle), "ReleaseBuffer")
ok(lib.MiniAV_Camera_DestroyContext(cam), "DestroyContext")
print("10 buffers, frames up to", last_k)
print("OK")
