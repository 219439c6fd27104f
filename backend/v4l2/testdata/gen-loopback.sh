#!/bin/sh
# Makes loopback-320x240-422.mjpeg: 24 frames of testsrc's camera pattern
# (index-stamped) at 320x240, encoded by ffmpeg's MJPEG encoder as 4:2:2.
set -e
cd "$(dirname "$0")/../../.."
go run ./cmd/miniav capture -device testsrc:camera -format "320x240@30 i420" -frames 24 -unpaced -policy block -q -o - |
	ffmpeg -v error -y -f yuv4mpegpipe -i - -c:v mjpeg -q:v 3 -pix_fmt yuvj422p -f mjpeg backend/v4l2/testdata/loopback-320x240-422.mjpeg
