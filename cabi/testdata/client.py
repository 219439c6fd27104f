"""client.py - checks libminiav from Python through examples/python/miniav.py.

Run by cabi_test.go with MINIAV_LIB (the freshly built library),
MINIAV_PYTHON_PATH (examples/python) and the expected bar colours of
package backend/testsrc in MINIAV_TEST_BARS (Y,U,V), MINIAV_TEST_RGB
(R,G,B) and MINIAV_TEST_GRAY. Hot-plug is tested with the library's test
backend "cabitest", whose devices this client plugs and unplugs by
rewriting the file MINIAV_CABITEST_DEVICES.
"""

import math
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.environ["MINIAV_PYTHON_PATH"])
import miniav  # noqa: E402

BARS = [tuple(int(c) for c in b.split(",")) for b in os.environ["MINIAV_TEST_BARS"].split()]
GRAY = [int(g) for g in os.environ["MINIAV_TEST_GRAY"].split()]
RGB = [tuple(int(c) for c in b.split(",")) for b in os.environ["MINIAV_TEST_RGB"].split()]


def bar_at(x, w, k):
    """testsrc.BarAt: the bar under column x of frame k."""
    off = (k * 4 % w) & ~1
    return ((x + off) % w) * 8 // w


def stamp(y, stride, w, h):
    """testsrc.DecodeIndex for a luma plane."""
    bw, bh = (w // 32) & ~1, min(16, h // 4) & ~1
    k = 0
    for bit in range(32):
        v = y[(bh // 2) * stride + bit * bw + bw // 2]
        if v >= 200:
            k |= 1 << (31 - bit)
        elif v > 40:
            return None
    return k


class CABI(unittest.TestCase):
    def test_version_and_devices(self):
        self.assertTrue(miniav.version().startswith("miniav "))
        ids = {d["id"]: d for d in miniav.devices()}
        self.assertEqual(ids["testsrc:camera"]["kind"], "camera")
        self.assertEqual(ids["testsrc:microphone"]["kind"], "microphone")
        self.assertTrue(any("I420" in f for f in ids["testsrc:camera"]["formats"]))

    def test_video_bars_sequence_and_sizes(self):
        w, h = 320, 240
        seqs = []
        with miniav.open("testsrc:camera?lose=10", "320x240@60 rgba", queue=4, policy="block") as s:
            info = s.info()
            self.assertEqual((info["width"], info["height"], info["pixel_format"]), (w, h, "AB24"))
            with self.assertRaises(miniav.DeviceLost) as cm:
                for f in s:
                    with f:
                        self.assertEqual(f.kind, miniav.KIND_VIDEO)
                        self.assertEqual((f.width, f.height, f.num_planes, f.stride(0)), (w, h, 1, 4 * w))
                        p = f.plane(0)
                        self.assertEqual(len(p), w * h * 4)  # the format's plane size
                        self.assertEqual(stamp(p[0::4], w, w, h), f.sequence & 0xFFFFFFFF)  # R of RGBA as luma
                        for b in range(8):
                            x = ((2 * b + 1) * w // 16) & ~1
                            i = (h // 2) * f.stride(0) + 4 * x
                            bar = bar_at(x, w, f.sequence)
                            self.assertEqual(bytes(p[i:i + 4]), bytes(RGB[bar]) + b"\xff",
                                             "frame %d x=%d bar %d" % (f.sequence, x, bar))
                        seqs.append(f.sequence)
            self.assertIn("lost", str(cm.exception))
            self.assertEqual(cm.exception.code, -4)
            st = s.stats()
            self.assertEqual((st["outstanding"], st["queued"]), (0, 0))
            self.assertEqual((st["captured"], st["delivered"]), (len(seqs), len(seqs)))
            # Block policy: nothing dropped on the way, so the sequence steps
            # by one except where the synthetic device itself skipped a frame
            # (its schedule starved of CPU), and those are counted.
            gaps = sum(b - a - 1 for a, b in zip(seqs, seqs[1:]))
            self.assertEqual(seqs[0], 0)
            self.assertTrue(all(b > a for a, b in zip(seqs, seqs[1:])), seqs)
            self.assertLessEqual(seqs[-1], 9)
            self.assertEqual((st["dropped_total"], st["dropped"][2]), (gaps, gaps))

    def test_i420_bars_zero_copy_and_copy(self):
        with miniav.open("testsrc:camera", "320x240@30 i420", policy="block") as s:
            f = s.next_frame(5)
            self.assertEqual([len(f.plane(i)) for i in range(3)], [320 * 240, 160 * 120, 160 * 120])
            y, u, v = f.plane(0), f.plane(1), f.plane(2)
            for b in range(8):
                x = ((2 * b + 1) * 320 // 16) & ~1
                bar = bar_at(x, 320, f.sequence)
                got = (y[120 * 320 + x], u[60 * 160 + x // 2], v[60 * 160 + x // 2])
                self.assertEqual(got, BARS[bar])
            kept = f.copy_plane(0)
            f.release()
            with self.assertRaises(miniav.Released):
                f.release()  # double release: an error code, not a crash
            with self.assertRaises(miniav.Released):
                f.plane(0)
            self.assertEqual(stamp(kept, 320, 320, 240), f.sequence)

    def test_audio_tone(self):
        rate = 48000
        runs = []  # runs of contiguous periods: a skipped period splits a run
        with miniav.open("testsrc:microphone?freq=1000", "48000 1ch s16", queue=16, policy="block") as s:
            expect = None
            for f in s.frames(10):
                with f:
                    self.assertEqual((f.sample_rate, f.channels, f.sample_format), (rate, 1, "s16"))
                    self.assertEqual(len(f.plane(0)), f.frames * 2)
                    self.assertEqual(f.sequence % f.frames, 0)
                    if f.sequence != expect:
                        self.assertTrue(expect is None or f.sequence > expect)
                        runs.append([])
                    runs[-1].extend(f.samples())
                    expect = f.sequence + f.frames
        self.assertEqual(sum(len(r) for r in runs), 4800)
        # Rising zero crossings, interpolated between samples.
        cycles = span = 0.0
        for r in runs:
            cross = [i - 1 + r[i - 1] / (r[i - 1] - r[i]) for i in range(1, len(r)) if r[i - 1] < 0 <= r[i]]
            if len(cross) > 1:
                cycles += len(cross) - 1
                span += cross[-1] - cross[0]
        hz = cycles * rate / span
        self.assertLess(abs(hz - 1000), 2, "tone %.3f Hz" % hz)
        print("audio: %.3f Hz" % hz, file=sys.stderr)

    def test_errors(self):
        with self.assertRaises(miniav.NotFound) as cm:
            miniav.open("testsrc:nope")
        self.assertIn("nope", str(cm.exception))
        self.assertEqual(cm.exception.code, -1)
        with self.assertRaises(miniav.Invalid):
            miniav.open("testsrc:camera", "640x480 bogus")
        with self.assertRaises(miniav.NotSupported) as cm:
            miniav.open("testsrc:camera", "641x480 i420")
        self.assertIn("641x480", str(cm.exception))

    def test_close_idempotent_and_timeout(self):
        s = miniav.open("testsrc:camera", "160x120@1 gray8")
        f = s.next_frame(5)
        with self.assertRaises(miniav.Timeout):
            s.next_frame(0.05)  # 1 fps: the next frame is a second away
        s.close()
        s.close()
        with self.assertRaises(miniav.Closed):
            s.next_frame(0)
        self.assertEqual(list(s), [])  # iteration ends on a closed stream
        p = f.plane(0)  # held frames outlive close
        self.assertEqual(p[60 * 160 + 10], GRAY[bar_at(10, 160, f.sequence)])
        f.release()


def plug(*devices):
    """Replaces the devices of the cabitest backend ("kind addr [name]"), atomically."""
    path = os.environ["MINIAV_CABITEST_DEVICES"]
    with open(path + ".tmp", "w") as f:
        f.write("".join(d + "\n" for d in devices))
    os.replace(path + ".tmp", path)


def next_test_event(w, timeout):
    """The next event of the cabitest backend; the machine's own devices are skipped."""
    deadline = time.monotonic() + timeout
    while True:
        ev = w.next_event(max(0.0, deadline - time.monotonic()))
        if ev.device["backend"] == "cabitest":
            return ev
        print("watch: skipping an event of this machine:", ev, file=sys.stderr)


class Watch(unittest.TestCase):
    def setUp(self):
        plug()

    def tearDown(self):
        plug()

    def test_added_removed(self):
        with miniav.watch(["camera"], interval=0.05) as w:  # polling, every 50 ms
            start = time.monotonic()
            with self.assertRaises(miniav.Timeout) as cm:
                w.next_event(0.1)
            took = time.monotonic() - start
            self.assertTrue(0.095 <= took < 2, "timeout of 0.1 s took %.3f s" % took)
            self.assertEqual(cm.exception.code, -9)
            self.assertIn("no event within 100 ms", str(cm.exception))

            plug("microphone pymic", "camera pycam Python camera")  # the microphone is not watched
            ev = next_test_event(w, 5)
            self.assertIsInstance(ev, miniav.Event)
            op, dev = ev
            self.assertEqual(op, "added")
            self.assertEqual(dev, {"id": "cabitest:pycam", "name": "Python camera", "kind": "camera",
                                   "backend": "cabitest", "default": False, "formats": [],
                                   "attrs": {"test": "hot-plug"}})
            plug("microphone pymic")
            ev = next_test_event(w, 5)
            self.assertEqual((ev.op, ev.device["id"], ev.device["kind"]), ("removed", "cabitest:pycam", "camera"))
            with self.assertRaises(miniav.Timeout):
                next_test_event(w, 0.3)  # nothing more: pymic is not a camera
        with self.assertRaises(miniav.Closed):
            w.next_event(0)
        w.close()  # idempotent

    def test_iterate_until_closed_from_another_thread(self):
        w = miniav.watch("microphone, loopback", interval=0)  # notifications only
        got, blocked = [], {}

        def iterate():
            for ev in w:
                got.append(ev)
                if ev.op == "removed" and ev.device["backend"] == "cabitest":
                    break
            try:
                while True:
                    w.next_event()  # waits without a timeout until closed
            except miniav.Closed as e:
                blocked["closed"] = (time.monotonic(), str(e))

        t = threading.Thread(target=iterate)
        t.start()
        plug("loopback pyloop")
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.01)
        plug()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
                e.op == "removed" and e.device["backend"] == "cabitest" for e in got):
            time.sleep(0.01)
        time.sleep(0.05)  # into the next_event that only close ends
        closed = time.monotonic()
        w.close()
        t.join(5)
        self.assertFalse(t.is_alive(), "close did not wake next_event")
        ours = [(e.op, e.device["id"]) for e in got if e.device["backend"] == "cabitest"]
        self.assertEqual(ours, [("added", "cabitest:pyloop"), ("removed", "cabitest:pyloop")])
        self.assertIn("closed", blocked)
        self.assertLess(blocked["closed"][0] - closed, 2)
        self.assertIn("closed", blocked["closed"][1])
        self.assertEqual(list(w), [])  # iteration ends on a closed watch

    def test_errors(self):
        with self.assertRaises(miniav.Invalid) as cm:
            miniav.watch("camera,telescope")
        self.assertIn("telescope", str(cm.exception))
        self.assertEqual(cm.exception.code, -8)
        with self.assertRaises(miniav.Invalid):
            miniav.watch(["camera", "Microphone"])
        with miniav.watch() as w:  # every kind, default interval
            with self.assertRaises(miniav.Timeout):
                w.next_event(0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
