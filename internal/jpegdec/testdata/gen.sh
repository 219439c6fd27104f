#!/usr/bin/env bash
# Regenerates the JPEG corpus in corpus/: the decoders' agreement tests
# run over every file there. Needs ffmpeg, cjpeg (libjpeg-turbo-progs) and
# go. Files are small test patterns (a few KB each).
set -euo pipefail
cd "$(dirname "$0")"
out=corpus
rm -rf "$out" && mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
# A frame of ffmpeg's testsrc2 (colour, gradients, text) at a given size.
# (testsrc2 rounds odd sizes down, so odd sizes are scaled to.)
src() { ff -f lavfi -i "testsrc2=size=320x240:rate=1" -vf "scale=${1/x/:}" -frames:v 1 "$2"; }

# ffmpeg's MJPEG encoder: 4:2:0 and 4:2:2 (yuvj*p: full range).
# (ffmpeg's MJPEG encoder has no greyscale; it writes 4:2:2 as 2x2,1x2,1x2.)
for s in 64x48 33x17 320x240; do
	ff -f lavfi -i "testsrc2=size=320x240:rate=1" -vf "scale=${s/x/:}" -frames:v 1 -pix_fmt yuvj420p -q:v 5 "$out/ffmpeg-420-$s.jpg"
	ff -f lavfi -i "testsrc2=size=320x240:rate=1" -vf "scale=${s/x/:}" -frames:v 1 -pix_fmt yuvj422p -q:v 5 "$out/ffmpeg-422-$s.jpg"
done

# cjpeg: 4:2:0, 4:2:2, greyscale, restart markers, progressive, odd sizes.
src 96x64 "$tmp/a.ppm"
src 33x17 "$tmp/odd.ppm"
src 121x77 "$tmp/odd2.ppm"
cjpeg -quality 85 -sample 2x2 "$tmp/a.ppm" >"$out/cjpeg-420-96x64.jpg"
cjpeg -quality 85 -sample 2x1 "$tmp/a.ppm" >"$out/cjpeg-422-96x64.jpg"
cjpeg -quality 85 -grayscale "$tmp/a.ppm" >"$out/cjpeg-gray-96x64.jpg"
cjpeg -quality 85 -sample 2x2 -restart 1 "$tmp/a.ppm" >"$out/cjpeg-420-restart1-96x64.jpg"
cjpeg -quality 85 -sample 2x1 -restart 2B "$tmp/a.ppm" >"$out/cjpeg-422-restart2b-96x64.jpg"
cjpeg -quality 85 -sample 2x2 -progressive "$tmp/a.ppm" >"$out/cjpeg-420-progressive-96x64.jpg"
cjpeg -quality 85 -sample 2x2 -optimize "$tmp/a.ppm" >"$out/cjpeg-420-optimized-96x64.jpg"
cjpeg -quality 90 -sample 2x2 -restart 1 "$tmp/odd.ppm" >"$out/cjpeg-420-restart1-33x17.jpg"
cjpeg -quality 90 -sample 2x1 "$tmp/odd.ppm" >"$out/cjpeg-422-33x17.jpg"
cjpeg -quality 90 -grayscale "$tmp/odd2.ppm" >"$out/cjpeg-gray-121x77.jpg"
cjpeg -quality 90 -sample 2x2 "$tmp/odd2.ppm" >"$out/cjpeg-420-121x77.jpg"

# image/jpeg: 4:2:0 colour and greyscale.
go run ./genjpeg.go "$tmp/a.ppm" "$out/go-420-96x64.jpg" "$out/go-gray-96x64.jpg"
go run ./genjpeg.go "$tmp/odd.ppm" "$out/go-420-33x17.jpg" "$out/go-gray-33x17.jpg"
ls -l "$out"
