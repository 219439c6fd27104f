"""miniav for Python: a small ctypes wrapper around libminiav (the C ABI in
cabi/ of github.com/miniav-go/miniav). No dependencies beyond the standard
library.

    import miniav
    with miniav.open("testsrc:camera", "640x480@30 i420") as stream:
        for frame in stream.frames(10):
            with frame:                      # releases the frame on exit
                y = frame.plane(0)           # memoryview of the device memory
                print(frame.sequence, frame.width, frame.height, len(y))

Hot-plug: devices that appear and disappear, as (op, device) events.

    with miniav.watch("camera,microphone") as w:
        for op, device in w:                 # "added"/"removed", a devices() dict
            print(op, device["id"])

The library is found through $MINIAV_LIB, then next to this file, then on
the system's library path. Frame memory is lent by the library without a
copy: a frame's memoryviews are valid until the frame is released (use
frame.copy_plane(i) to keep bytes longer).
"""

import collections
import ctypes
import ctypes.util
import json
import os
import sys

__all__ = [
    "open", "devices", "watch", "version", "Stream", "Frame", "Watch", "Event", "Error", "NotFound", "NotSupported",
    "Busy", "DeviceLost", "PermissionDenied", "Closed", "Released", "Invalid", "Timeout",
    "DROP_OLDEST", "DROP_NEWEST", "BLOCK",
]

# Status codes (enum miniav_status).
OK = 0
_ERR_NOT_FOUND, _ERR_NOT_SUPPORTED, _ERR_BUSY, _ERR_DEVICE_LOST = -1, -2, -3, -4
_ERR_PERMISSION_DENIED, _ERR_CLOSED, _ERR_RELEASED, _ERR_INVALID = -5, -6, -7, -8
_ERR_TIMEOUT, _ERR_OTHER = -9, -10

# Policies (enum miniav_policy).
DROP_OLDEST, DROP_NEWEST, BLOCK = 0, 1, 2
_POLICIES = {"drop-oldest": DROP_OLDEST, "drop-newest": DROP_NEWEST, "block": BLOCK}

KIND_VIDEO, KIND_AUDIO = 1, 2
SAMPLE_FORMATS = {1: "u8", 2: "s16", 3: "s24", 4: "s32", 5: "f32"}
DEVICE_KINDS = {1: "camera", 2: "display", 3: "window", 4: "microphone", 5: "loopback"}


class Error(Exception):
    """A miniav failure: .code is the MINIAV_ERR_* status, str() the message."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class NotFound(Error): pass
class NotSupported(Error): pass
class Busy(Error): pass
class DeviceLost(Error): pass
class PermissionDenied(Error): pass
class Closed(Error): pass
class Released(Error): pass
class Invalid(Error): pass
class Timeout(Error): pass


_ERRORS = {
    _ERR_NOT_FOUND: NotFound, _ERR_NOT_SUPPORTED: NotSupported, _ERR_BUSY: Busy,
    _ERR_DEVICE_LOST: DeviceLost, _ERR_PERMISSION_DENIED: PermissionDenied, _ERR_CLOSED: Closed,
    _ERR_RELEASED: Released, _ERR_INVALID: Invalid, _ERR_TIMEOUT: Timeout,
}


class _Frame(ctypes.Structure):
    _fields_ = [
        ("handle", ctypes.c_uint64),
        ("kind", ctypes.c_int32),
        ("flags", ctypes.c_uint32),
        ("sequence", ctypes.c_uint64),
        ("timestamp_ns", ctypes.c_int64),
        ("device_timestamp_ns", ctypes.c_int64),
        ("width", ctypes.c_int32),
        ("height", ctypes.c_int32),
        ("pixel_format", ctypes.c_uint32),
        ("num_planes", ctypes.c_int32),
        ("planes", ctypes.c_void_p * 4),
        ("strides", ctypes.c_int64 * 4),
        ("lengths", ctypes.c_int64 * 4),
        ("sample_rate", ctypes.c_int32),
        ("channels", ctypes.c_int32),
        ("sample_format", ctypes.c_int32),
        ("frames", ctypes.c_int32),
        ("reserved", ctypes.c_uint64 * 4),
    ]


class _Info(ctypes.Structure):
    _fields_ = [
        ("device_kind", ctypes.c_int32), ("policy", ctypes.c_int32), ("queue", ctypes.c_int32),
        ("zero_copy", ctypes.c_int32), ("width", ctypes.c_int32), ("height", ctypes.c_int32),
        ("pixel_format", ctypes.c_uint32), ("fps_num", ctypes.c_int32), ("fps_den", ctypes.c_int32),
        ("sample_rate", ctypes.c_int32), ("channels", ctypes.c_int32), ("sample_format", ctypes.c_int32),
        ("period_frames", ctypes.c_int32), ("device", ctypes.c_char * 256), ("mode", ctypes.c_char * 32),
        ("reserved", ctypes.c_uint64 * 4),
    ]


class _Stats(ctypes.Structure):
    _fields_ = [
        ("captured", ctypes.c_uint64), ("delivered", ctypes.c_uint64), ("dropped_total", ctypes.c_uint64),
        ("dropped", ctypes.c_uint64 * 8), ("leaked", ctypes.c_uint64), ("copied", ctypes.c_uint64),
        ("release_errors", ctypes.c_uint64), ("outstanding", ctypes.c_int64), ("queued", ctypes.c_int64),
        ("reserved", ctypes.c_uint64 * 4),
    ]


def _load():
    names = []
    if os.environ.get("MINIAV_LIB"):
        names.append(os.environ["MINIAV_LIB"])
    here = os.path.dirname(os.path.abspath(__file__))
    base = {"darwin": "libminiav.dylib", "win32": "miniav.dll"}.get(sys.platform, "libminiav.so")
    names.append(os.path.join(here, base))
    found = ctypes.util.find_library("miniav")
    if found:
        names.append(found)
    errors = []
    for n in names:
        try:
            return ctypes.CDLL(n)
        except OSError as e:
            errors.append(str(e))
    raise OSError("libminiav not found; build it with `go build -buildmode=c-shared -o libminiav.so ./cabi` "
                  "and set MINIAV_LIB: " + "; ".join(errors))


_lib = _load()
_u64, _i32 = ctypes.c_uint64, ctypes.c_int
for _name, _res, _args in [
    ("miniav_version", ctypes.c_char_p, []),
    ("miniav_abi_version", _i32, []),
    ("miniav_last_error", ctypes.c_char_p, []),
    ("miniav_devices_json", _i32, [ctypes.POINTER(ctypes.c_void_p)]),
    ("miniav_free", None, [ctypes.c_void_p]),
    ("miniav_open", _i32, [ctypes.c_char_p, ctypes.c_char_p, _i32, _i32, ctypes.POINTER(_u64)]),
    ("miniav_stream_info", _i32, [_u64, ctypes.POINTER(_Info)]),
    ("miniav_stream_stats", _i32, [_u64, ctypes.POINTER(_Stats)]),
    ("miniav_next_frame", _i32, [_u64, _i32, ctypes.POINTER(_Frame)]),
    ("miniav_frame_release", _i32, [ctypes.POINTER(_Frame)]),
    ("miniav_close", _i32, [_u64]),
    ("miniav_watch_open", _i32, [ctypes.c_char_p, ctypes.c_int64, ctypes.POINTER(_u64)]),
    ("miniav_watch_next", _i32, [_u64, ctypes.c_int64, ctypes.POINTER(ctypes.c_void_p)]),
    ("miniav_watch_close", _i32, [_u64]),
]:
    _fn = getattr(_lib, _name)
    _fn.restype, _fn.argtypes = _res, _args


def _check(status):
    # miniav_last_error is per thread, and ctypes calls run on the calling
    # thread, so the message belongs to this call.
    if status != OK:
        msg = _lib.miniav_last_error().decode("utf-8", "replace")
        raise _ERRORS.get(status, Error)(status, msg)


def version():
    """The library's version string."""
    return _lib.miniav_version().decode()


def devices():
    """The devices of every backend, as a list of dicts (id, name, kind, ...)."""
    p = ctypes.c_void_p()
    _check(_lib.miniav_devices_json(ctypes.byref(p)))
    return _json(p)


def _json(p):
    """Decodes the JSON string the library allocated at p, and frees it."""
    try:
        return json.loads(ctypes.string_at(p.value).decode())
    finally:
        _lib.miniav_free(p)


def fourcc(code):
    """The four-character string of a pixel format code ("YU12" for I420)."""
    return bytes((code >> s) & 0xFF for s in (0, 8, 16, 24)).decode("ascii", "replace")


class Frame:
    """A captured frame lent by the library. Release it (or use `with`)."""

    def __init__(self, raw):
        self._raw = raw

    def release(self):
        """Gives the memory back; raises Released on a second release."""
        _check(_lib.miniav_frame_release(ctypes.byref(self._raw)))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._raw.handle:
            self.release()

    kind = property(lambda self: self._raw.kind)
    sequence = property(lambda self: self._raw.sequence)
    timestamp_ns = property(lambda self: self._raw.timestamp_ns)
    width = property(lambda self: self._raw.width)
    height = property(lambda self: self._raw.height)
    pixel_format = property(lambda self: fourcc(self._raw.pixel_format))
    num_planes = property(lambda self: self._raw.num_planes)
    sample_rate = property(lambda self: self._raw.sample_rate)
    channels = property(lambda self: self._raw.channels)
    sample_format = property(lambda self: SAMPLE_FORMATS.get(self._raw.sample_format, "unknown"))
    frames = property(lambda self: self._raw.frames)
    copied = property(lambda self: bool(self._raw.flags & 1))

    @property
    def released(self):
        return self._raw.handle == 0

    def stride(self, i):
        return self._raw.strides[i]

    def plane(self, i):
        """A zero-copy memoryview of plane i, valid until release."""
        if self.released:
            raise Released(_ERR_RELEASED, "frame already released")
        n, p = self._raw.lengths[i], self._raw.planes[i]
        if not p or n == 0:
            return memoryview(b"")
        return memoryview((ctypes.c_uint8 * n).from_address(p)).cast("B")

    def copy_plane(self, i):
        """A copy of plane i as bytes, valid after release."""
        return self.plane(i).tobytes()

    def samples(self):
        """Audio samples as a memoryview of their type ('h' for s16, 'f' for f32)."""
        fmt = {"s16": "h", "f32": "f", "s32": "i", "u8": "B"}[self.sample_format]
        return self.plane(0).cast(fmt)

    def __repr__(self):
        if self.kind == KIND_AUDIO:
            return "<Frame audio seq=%d %d frames %dHz %dch %s>" % (
                self.sequence, self.frames, self.sample_rate, self.channels, self.sample_format)
        return "<Frame video seq=%d %dx%d %s>" % (self.sequence, self.width, self.height, self.pixel_format)


class Stream:
    """An open capture. Iterate it for frames; close it (or use `with`)."""

    def __init__(self, device, fmt=None, queue=0, policy="drop-oldest"):
        if isinstance(policy, str):
            policy = _POLICIES[policy]
        h = _u64()
        _check(_lib.miniav_open(device.encode(), fmt.encode() if fmt else None, queue, policy, ctypes.byref(h)))
        self._h = h.value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Stops capture. Idempotent; held frames stay valid until released."""
        _check(_lib.miniav_close(self._h))

    def next_frame(self, timeout=None):
        """The next frame; timeout in seconds (None waits forever). Raises
        Timeout, Closed when the stream was closed, DeviceLost, ..."""
        raw = _Frame()
        ms = -1 if timeout is None else max(0, int(timeout * 1000))
        _check(_lib.miniav_next_frame(self._h, ms, ctypes.byref(raw)))
        return Frame(raw)

    def __iter__(self):
        """Frames until the stream is closed; a device error is raised."""
        while True:
            try:
                yield self.next_frame()
            except Closed:
                return

    def frames(self, n, timeout=5.0):
        """The next n frames."""
        for _ in range(n):
            yield self.next_frame(timeout)

    def info(self):
        i = _Info()
        _check(_lib.miniav_stream_info(self._h, ctypes.byref(i)))
        d = {k: getattr(i, k) for k, _ in _Info._fields_ if k != "reserved"}
        d["device"], d["mode"] = i.device.decode(), i.mode.decode()
        d["device_kind"] = DEVICE_KINDS.get(i.device_kind, "unknown")
        d["pixel_format"] = fourcc(i.pixel_format) if i.pixel_format else ""
        d["sample_format"] = SAMPLE_FORMATS.get(i.sample_format, "")
        return d

    def stats(self):
        s = _Stats()
        _check(_lib.miniav_stream_stats(self._h, ctypes.byref(s)))
        d = {k: getattr(s, k) for k, _ in _Stats._fields_ if k not in ("reserved", "dropped")}
        d["dropped"] = list(s.dropped)[:7]
        return d


def open(device, fmt=None, queue=0, policy="drop-oldest"):  # noqa: A001 (mirrors miniav.Open)
    """Opens a device: open("testsrc:camera", "640x480@30 i420")."""
    return Stream(device, fmt, queue, policy)


Event = collections.namedtuple("Event", "op device")
Event.__doc__ = """A device that appeared (op "added") or disappeared ("removed");
device is a dict like an element of devices()."""


class Watch:
    """Devices appearing and disappearing (hot-plug) after the watch was
    opened. Iterate it for Events; close it (or use `with`)."""

    # How long one wait in the library lasts while iterating, so that
    # Ctrl-C (handled between library calls) interrupts a loop over a
    # quiet watch.
    _SLICE = 0.25

    def __init__(self, kinds=None, interval=None):
        if kinds is not None and not isinstance(kinds, str):
            kinds = ",".join(kinds)
        if interval is None:
            ms = 0  # the library's default, 1 s
        elif interval <= 0:
            ms = -1  # no polling: backend notifications only
        else:
            ms = max(1, round(interval * 1000))
        h = _u64()
        _check(_lib.miniav_watch_open(kinds.encode() if kinds else None, ms, ctypes.byref(h)))
        self._h = h.value

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Stops the watch; a next_event waiting in another thread raises
        Closed. Idempotent."""
        _check(_lib.miniav_watch_close(self._h))

    def next_event(self, timeout=None):
        """The next Event; timeout in seconds (None waits forever, 0 polls).
        Raises Timeout (whose message carries an enumeration error seen
        since the last one, if any), or Closed once the watch is closed."""
        ms = -1 if timeout is None else max(0, int(timeout * 1000))
        p = ctypes.c_void_p()
        _check(_lib.miniav_watch_next(self._h, ms, ctypes.byref(p)))
        e = _json(p)
        return Event(e["op"], e["device"])

    def __iter__(self):
        """Events until the watch is closed (by another thread, say)."""
        while True:
            try:
                yield self.next_event(self._SLICE)
            except Timeout:
                continue
            except Closed:
                return


def watch(kinds=None, interval=None):
    """Watches for devices that appear and disappear:

        with miniav.watch("camera") as w:
            for op, device in w:
                print(op, device["id"])

    kinds: None for every kind, else kind names ("camera", "display",
    "window", "microphone", "loopback") as a comma-separated string or a
    list; an unknown name raises Invalid. interval: how often to enumerate,
    in seconds; None for the library's default (1 s); 0 or less for no
    polling, only the changes backends notify (v4l2 does, through inotify),
    as Go's devices.WithInterval(0)."""
    return Watch(kinds, interval)
