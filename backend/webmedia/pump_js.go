//go:build js && wasm

package webmedia

import "syscall/js"

// pumpSource is the JavaScript side of a source: it reads the track with a
// MediaStreamTrackProcessor, copies each frame into one reused Uint8Array
// (st.buf, replaced only when too small, st.gen counting replacements),
// records the frame's facts as numbers on st and calls cb with no
// arguments. cb copies the bytes into Go memory before returning, so the
// buffer can be reused for the next frame. st.stop() stops the track; no
// call to cb follows it.
const pumpSource = `
const st = this, track = arguments[0], cb = arguments[1];
let reader = null;
st.buf = new Uint8Array(0); st.gen = 0; st.seq = 0; st.ended = false; st.stopped = false; st.error = ""; st.errName = "";
st.stop = () => { st.stopped = true; if (reader) reader.cancel().catch(() => {}); track.stop(); };
const fail = (e) => {
	if (st.stopped) return;
	st.errName = (e && e.name) ? String(e.name) : "Error";
	st.error = (e && e.name) ? String(e.message) : String(e);
	st.ended = true; cb();
};
let lw = -1, lh = -1, layout = null;
const need = (n) => { if (st.buf.length < n) { st.buf = new Uint8Array(n); st.gen++; } };
(async () => {
	await null; // run after startPump returned: cb may not be called from inside it
	try { reader = new MediaStreamTrackProcessor({track}).readable.getReader(); } catch (e) { fail(e); return; }
	if (st.stopped) { reader.cancel().catch(() => {}); return; }
	for (;;) {
		let r;
		try { r = await reader.read(); } catch (e) { fail(e); return; }
		if (st.stopped) { if (!r.done) r.value.close(); return; }
		if (r.done) { st.ended = true; cb(); return; }
		const f = r.value;
		try {
			const t0 = performance.now();
			if (st.audio) {
				const n = f.allocationSize(st.opts);
				need(n);
				f.copyTo(st.buf, st.opts);
				st.n = n; st.frames = f.numberOfFrames; st.rate = f.sampleRate; st.channels = f.numberOfChannels;
			} else {
				const w = f.visibleRect.width, h = f.visibleRect.height;
				let o = st.opts;
				if (st.i420) {
					if (f.format !== "I420") throw new DOMException("frame format " + f.format + " is not I420", "NotSupportedError");
					if (w !== lw || h !== lh) {
						const cw = (w + 1) >> 1, ch = (h + 1) >> 1;
						layout = {layout: [{offset: 0, stride: w}, {offset: w * h, stride: cw}, {offset: w * h + cw * ch, stride: cw}]};
						lw = w; lh = h;
					}
					o = layout;
				}
				const n = f.allocationSize(o);
				need(n);
				await f.copyTo(st.buf, o);
				st.n = n; st.w = w; st.h = h;
			}
			st.ts = f.timestamp;
			st.ms = performance.now() - t0;
			f.close();
		} catch (e) { try { f.close(); } catch (_) {} fail(e); return; }
		if (st.stopped) return;
		st.seq++;
		cb();
	}
})();
`

var pumpFunc js.Value

// startPump runs pumpSource on st for track, calling cb per frame.
func startPump(st, track js.Value, cb js.Func) {
	if pumpFunc.IsUndefined() {
		pumpFunc = js.Global().Get("Function").New(pumpSource)
	}
	pumpFunc.Call("call", st, track, cb)
}

// stopTracksSource stops every track of the MediaStream it is given: used
// when Open gave up waiting for a stream that arrives later.
const stopTracksSource = `const s = arguments[0]; if (s && s.getTracks) s.getTracks().forEach(t => t.stop());`
