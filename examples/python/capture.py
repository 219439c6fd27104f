#!/usr/bin/env python3
"""Capture a few frames with miniav from Python.

    go build -buildmode=c-shared -o /tmp/libminiav.so ./cabi
    MINIAV_LIB=/tmp/libminiav.so python3 examples/python/capture.py [device] [format] [frames]

Defaults: testsrc:camera, "640x480@30 i420", 30 frames.
"""

import sys
import time

import miniav


def main(argv):
    device = argv[1] if len(argv) > 1 else "testsrc:camera"
    fmt = argv[2] if len(argv) > 2 else "640x480@30 i420"
    n = int(argv[3]) if len(argv) > 3 else 30
    print(miniav.version())
    for d in miniav.devices():
        print("device %-30s %-10s %s" % (d["id"], d["kind"], d["name"]))
    start = time.monotonic()
    with miniav.open(device, fmt, queue=4, policy="drop-oldest") as stream:
        print("opened", stream.info())
        for frame in stream.frames(n):
            with frame:
                if frame.kind == miniav.KIND_AUDIO:
                    s = frame.samples()
                    peak = max(abs(x) for x in s)
                    print(frame, "peak %.3f" % (peak / 32767 if frame.sample_format == "s16" else peak))
                else:
                    y = frame.plane(0)  # zero-copy view, valid inside the with block
                    sample = y[:: max(1, len(y) // 4096)]
                    print(frame, "mean of plane 0: %.1f" % (sum(sample) / len(sample)))
        stats = stream.stats()
    elapsed = time.monotonic() - start
    print("%d frames in %.2f s; captured %d, delivered %d, dropped %d" % (
        n, elapsed, stats["captured"], stats["delivered"], stats["dropped_total"]))


if __name__ == "__main__":
    main(sys.argv)
