//go:build ignore

// genjpeg encodes a binary PPM with image/jpeg, once in colour (4:2:0) and
// once in greyscale: go run genjpeg.go in.ppm colour.jpg grey.jpg
package main

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log"
	"os"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	r := bufio.NewReader(f)
	var w, h, max int
	if _, err := fmt.Fscanf(r, "P6\n%d %d\n%d\n", &w, &h, &max); err != nil {
		log.Fatal(err)
	}
	rgb := make([]byte, 3*w*h)
	if _, err := io.ReadFull(r, rgb); err != nil {
		log.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	gray := image.NewGray(img.Rect)
	for i := range w * h {
		c := color.RGBA{rgb[3*i], rgb[3*i+1], rgb[3*i+2], 255}
		img.SetRGBA(i%w, i/w, c)
		gray.Set(i%w, i/w, c)
	}
	write := func(path string, m image.Image) {
		o, err := os.Create(path)
		if err != nil {
			log.Fatal(err)
		}
		if err := jpeg.Encode(o, m, &jpeg.Options{Quality: 85}); err != nil {
			log.Fatal(err)
		}
		if err := o.Close(); err != nil {
			log.Fatal(err)
		}
	}
	write(os.Args[2], img)
	write(os.Args[3], gray)
}
