#version 450
// The GLSL twin of convertWGSL (shader.go), for the host-import path: the
// same layouts, parameters and 8-bit fixed-point integer maths, so both
// give the core's ToRGBA bytes. The frame is read in place from the
// imported host memory (set 0), the RGBA words written to the output
// (set 1); the parameters come as push constants, in convertWGSL's layout.
// GLSL's >> on int extends the sign, as WGSL's on i32 and Go's do.
// Compiled by go generate (see hostimport_linux.go) into convert.spv.
layout(local_size_x = 8, local_size_y = 8) in;
layout(std430, set = 0, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, set = 1, binding = 0) writeonly buffer Dst { uint dst[]; };
layout(std430, push_constant) uniform Params {
  uvec4 size;   // width, height, kind, bytes per pixel (RGB kinds)
  uvec4 off;    // byte offsets of the Y (or only), U and V planes
  uvec4 stride; // their strides
  uvec4 idx;    // as in convertWGSL
  ivec4 k1;     // cy, yoff, rv, gu
  ivec4 k2;     // gv, bu
} p;

uint at(uint i) { return (src[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu; }
uint c8(int v) { return uint(clamp(v, 0, 255)); }

uint yuv(uint y, uint u, uint v) {
  int c = p.k1.x * (int(y) - p.k1.y);
  int d = int(u) - 128;
  int e = int(v) - 128;
  uint r = c8((c + p.k1.z * e + 128) >> 8);
  uint g = c8((c - p.k1.w * d - p.k2.x * e + 128) >> 8);
  uint b = c8((c + p.k2.y * d + 128) >> 8);
  return r | (g << 8u) | (b << 16u) | 0xff000000u;
}

void main() {
  uint x = gl_GlobalInvocationID.x;
  uint y = gl_GlobalInvocationID.y;
  if (x >= p.size.x || y >= p.size.y) { return; }
  uint o = 0u;
  switch (p.size.z) {
  case 0u: {
    uint sh = p.idx.x;
    o = yuv(at(p.off.x + y * p.stride.x + x),
            at(p.off.y + (y >> sh) * p.stride.y + x / 2u),
            at(p.off.z + (y >> sh) * p.stride.z + x / 2u));
    break;
  }
  case 1u: {
    uint c = p.off.y + (y / 2u) * p.stride.y + (x & ~1u);
    o = yuv(at(p.off.x + y * p.stride.x + x), at(c + p.idx.x), at(c + p.idx.y));
    break;
  }
  case 2u: {
    uint m = p.off.x + y * p.stride.x + (x & ~1u) * 2u;
    o = yuv(at(m + p.idx.x + 2u * (x & 1u)), at(m + p.idx.y), at(m + p.idx.z));
    break;
  }
  case 3u: {
    uint g = at(p.off.x + y * p.stride.x + x);
    o = g | (g << 8u) | (g << 16u) | 0xff000000u;
    break;
  }
  default: {
    uint q = p.off.x + y * p.stride.x + x * p.size.w;
    uint a = 255u;
    if (p.idx.w != 255u) { a = at(q + p.idx.w); }
    o = at(q + p.idx.x) | (at(q + p.idx.y) << 8u) | (at(q + p.idx.z) << 16u) | (a << 24u);
    break;
  }
  }
  dst[y * p.size.x + x] = o;
}
