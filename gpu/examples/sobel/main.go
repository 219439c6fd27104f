// Command sobel captures one frame (testsrc by default, or any miniav
// device ID), uploads it to the GPU, converts it to RGBA with the gpu
// package's shader, runs a Sobel edge compute shader on it and writes the
// edge map as a PNG.
//
//	cd gpu && go run ./examples/sobel -o edges.png
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"

	"github.com/cogentcore/webgpu/wgpu"

	"github.com/miniav-go/miniav"
	_ "github.com/miniav-go/miniav/backend/testsrc"
	_ "github.com/miniav-go/miniav/backend/v4l2" // cameras: -device v4l2:/dev/video0
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/gpu"
)

// sobelWGSL: luma from the converted RGBA (integer BT.601 weights), then
// |gx| + |gy| of the 3x3 Sobel kernels, clamped to 255, borders clamped.
const sobelWGSL = `
@group(0) @binding(0) var<storage, read> rgba: array<u32>;
@group(0) @binding(1) var<storage, read_write> edge: array<u32>;
@group(0) @binding(2) var<uniform> size: vec4<u32>;

fn luma(x: i32, y: i32) -> i32 {
  let cx = u32(clamp(x, 0, i32(size.x) - 1));
  let cy = u32(clamp(y, 0, i32(size.y) - 1));
  let p = rgba[cy * size.x + cx];
  return (77 * i32(p & 0xffu) + 150 * i32((p >> 8u) & 0xffu) + 29 * i32((p >> 16u) & 0xffu) + 128) >> 8u;
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= size.x || id.y >= size.y) { return; }
  let x = i32(id.x);
  let y = i32(id.y);
  let gx = -luma(x - 1, y - 1) + luma(x + 1, y - 1) - 2 * luma(x - 1, y) + 2 * luma(x + 1, y) - luma(x - 1, y + 1) + luma(x + 1, y + 1);
  let gy = -luma(x - 1, y - 1) - 2 * luma(x, y - 1) - luma(x + 1, y - 1) + luma(x - 1, y + 1) + 2 * luma(x, y + 1) + luma(x + 1, y + 1);
  edge[id.y * size.x + id.x] = u32(min(abs(gx) + abs(gy), 255));
}
`

func main() {
	id := flag.String("device", "testsrc:camera?static=1&stamp=0", "miniav device ID")
	w := flag.Int("width", 640, "frame width")
	h := flag.Int("height", 480, "frame height")
	pf := flag.String("format", "NV12", "pixel format")
	out := flag.String("o", "edges.png", "PNG to write")
	flag.Parse()
	ctx := context.Background()
	u, err := gpu.NewUploader(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer u.Close()
	p, err := format.ParsePixelFormat(*pf)
	if err != nil {
		log.Fatal(err)
	}
	img, err := edges(ctx, u, *id, format.Video{Width: *w, Height: *h, PixelFormat: p, FrameRate: format.FPS(30)})
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %dx%d edges of %s on %v (%v)\n", *out, img.Rect.Dx(), img.Rect.Dy(), *id, u.Adapter(), u.Mode())
}

// edges captures one frame of id and returns its Sobel edge map, computed
// on u's device.
func edges(ctx context.Context, u *gpu.Uploader, id string, v format.Video) (*image.Gray, error) {
	s, err := miniav.Open(ctx, id, miniav.WithVideo(v))
	if err != nil {
		return nil, err
	}
	defer s.Close()
	f, ok := <-s.Frames()
	if !ok {
		return nil, fmt.Errorf("sobel: no frame from %s: %w", id, s.Err())
	}
	im, err := u.Upload(f) // releases f
	if err != nil {
		return nil, err
	}
	defer im.Release()
	if err := u.Convert(im, gpu.BT601Limited); err != nil {
		return nil, err
	}
	return sobel(u, im)
}

func sobel(u *gpu.Uploader, im *gpu.Image) (*image.Gray, error) {
	dev, q := u.Device(), u.Queue()
	w, h := im.Width, im.Height
	n := uint64(4 * w * h)
	sm, err := dev.CreateShaderModule(&wgpu.ShaderModuleDescriptor{WGSLDescriptor: &wgpu.ShaderModuleWGSLDescriptor{Code: sobelWGSL}})
	if err != nil {
		return nil, err
	}
	defer sm.Release()
	pipe, err := dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{Compute: wgpu.ProgrammableStageDescriptor{Module: sm, EntryPoint: "main"}})
	if err != nil {
		return nil, err
	}
	defer pipe.Release()
	edge, err := dev.CreateBuffer(&wgpu.BufferDescriptor{Size: n, Usage: wgpu.BufferUsageStorage | wgpu.BufferUsageCopySrc})
	if err != nil {
		return nil, err
	}
	defer edge.Release()
	size, err := dev.CreateBuffer(&wgpu.BufferDescriptor{Size: 16, Usage: wgpu.BufferUsageUniform | wgpu.BufferUsageCopyDst})
	if err != nil {
		return nil, err
	}
	defer size.Release()
	staging, err := dev.CreateBuffer(&wgpu.BufferDescriptor{Size: n, Usage: wgpu.BufferUsageMapRead | wgpu.BufferUsageCopyDst})
	if err != nil {
		return nil, err
	}
	defer staging.Release()
	if err := q.WriteBuffer(size, 0, binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(make([]byte, 0, 16), uint32(w)), uint32(h))[:8:8]); err != nil {
		return nil, err
	}
	bgl := pipe.GetBindGroupLayout(0)
	defer bgl.Release()
	bg, err := dev.CreateBindGroup(&wgpu.BindGroupDescriptor{Layout: bgl, Entries: []wgpu.BindGroupEntry{
		{Binding: 0, Buffer: im.Buffer(), Size: wgpu.WholeSize},
		{Binding: 1, Buffer: edge, Size: wgpu.WholeSize},
		{Binding: 2, Buffer: size, Size: wgpu.WholeSize},
	}})
	if err != nil {
		return nil, err
	}
	defer bg.Release()
	enc, err := dev.CreateCommandEncoder(nil)
	if err != nil {
		return nil, err
	}
	cp := enc.BeginComputePass(nil)
	cp.SetPipeline(pipe)
	cp.SetBindGroup(0, bg, nil)
	cp.DispatchWorkgroups(uint32(w+7)/8, uint32(h+7)/8, 1)
	cp.End()
	cp.Release()
	if err := enc.CopyBufferToBuffer(edge, 0, staging, 0, n); err != nil {
		return nil, err
	}
	cb, err := enc.Finish(nil)
	if err != nil {
		return nil, err
	}
	q.Submit(cb)
	cb.Release()
	enc.Release()
	var st wgpu.BufferMapAsyncStatus
	if err := staging.MapAsync(wgpu.MapModeRead, 0, n, func(s wgpu.BufferMapAsyncStatus) { st = s }); err != nil {
		return nil, err
	}
	dev.Poll(true, nil)
	if st != wgpu.BufferMapAsyncStatusSuccess {
		return nil, fmt.Errorf("sobel: mapping the result: %v", st)
	}
	m := staging.GetMappedRange(0, uint(n))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = m[4*i]
	}
	return g, staging.Unmap()
}
