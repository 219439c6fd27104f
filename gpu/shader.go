package gpu

// convertWGSL converts any layout the uploader writes into one storage
// buffer (planes at 4-byte-aligned offsets, each with its own stride) to
// RGBA8, one invocation per pixel, with the same 8-bit fixed-point integer
// maths as ToRGBA and the core's VideoView.ToRGBA (WGSL's >> on i32 is
// arithmetic, like Go's), so the results are bit-exact.
const convertWGSL = `
struct Params {
  size: vec4<u32>,   // width, height, kind, bytes per pixel (RGB kinds)
  off: vec4<u32>,    // byte offsets of the Y (or only), U and V planes
  stride: vec4<u32>, // their strides
  idx: vec4<u32>,    // planar: chroma row shift; semi: U, V; packed: Y, U, V; RGB: R, G, B, A (255: opaque)
  k1: vec4<i32>,     // cy, yoff, rv, gu
  k2: vec4<i32>,     // gv, bu
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

fn at(i: u32) -> u32 { return (src[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu; }
fn c8(v: i32) -> u32 { return u32(clamp(v, 0, 255)); }

fn yuv(y: u32, u: u32, v: u32) -> u32 {
  let c = p.k1.x * (i32(y) - p.k1.y);
  let d = i32(u) - 128;
  let e = i32(v) - 128;
  let r = c8((c + p.k1.z * e + 128) >> 8u);
  let g = c8((c - p.k1.w * d - p.k2.x * e + 128) >> 8u);
  let b = c8((c + p.k2.y * d + 128) >> 8u);
  return r | (g << 8u) | (b << 16u) | 0xff000000u;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let x = id.x;
  let y = id.y;
  if (x >= p.size.x || y >= p.size.y) { return; }
  var o: u32 = 0u;
  switch p.size.z {
    case 0u: {
      let sh = p.idx.x;
      o = yuv(at(p.off.x + y * p.stride.x + x),
              at(p.off.y + (y >> sh) * p.stride.y + x / 2u),
              at(p.off.z + (y >> sh) * p.stride.z + x / 2u));
    }
    case 1u: {
      let c = p.off.y + (y / 2u) * p.stride.y + (x & ~1u);
      o = yuv(at(p.off.x + y * p.stride.x + x), at(c + p.idx.x), at(c + p.idx.y));
    }
    case 2u: {
      let m = p.off.x + y * p.stride.x + (x & ~1u) * 2u;
      o = yuv(at(m + p.idx.x + 2u * (x & 1u)), at(m + p.idx.y), at(m + p.idx.z));
    }
    case 3u: {
      let g = at(p.off.x + y * p.stride.x + x);
      o = g | (g << 8u) | (g << 16u) | 0xff000000u;
    }
    default: {
      let q = p.off.x + y * p.stride.x + x * p.size.w;
      var a: u32 = 255u;
      if (p.idx.w != 255u) { a = at(q + p.idx.w); }
      o = at(q + p.idx.x) | (at(q + p.idx.y) << 8u) | (at(q + p.idx.z) << 16u) | (a << 24u);
    }
  }
  dst[y * p.size.x + x] = o;
}
`
