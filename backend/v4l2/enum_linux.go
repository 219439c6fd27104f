//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/v4l2"
)

// maxEnum bounds every enumeration loop against drivers that never return
// EINVAL.
const maxEnum = 4096

// enumFormats lists the pixel formats of buffer type typ.
func enumFormats(fd int, typ uint32) ([]v4l2.FmtDesc, error) {
	var out []v4l2.FmtDesc
	for i := uint32(0); i < maxEnum; i++ {
		d := v4l2.FmtDesc{Index: i, Type: typ}
		if err := v4l2.EnumFmt(fd, &d); err != nil {
			if isEnd(err) {
				break
			}
			return out, err
		}
		out = append(out, d)
	}
	return out, nil
}

// listCaps describes every format, size and rate the node offers.
func listCaps(fd int, typ uint32) ([]format.VideoCaps, error) {
	fmts, err := enumFormats(fd, typ)
	if err != nil {
		return nil, err
	}
	var out []format.VideoCaps
	for _, d := range fmts {
		pf := toFormat(d.PixelFormat)
		desc := v4l2.CString(d.Description[:])
		sizes := frameSizes(fd, d.PixelFormat)
		if len(sizes) == 0 { // the driver does not enumerate sizes: any size
			out = append(out, format.VideoCaps{PixelFormat: pf, Description: desc,
				Size: format.SizeRange{MinWidth: 1, MaxWidth: 1 << 16, StepWidth: 1, MinHeight: 1, MaxHeight: 1 << 16, StepHeight: 1}})
			continue
		}
		for _, sz := range sizes {
			c := format.VideoCaps{PixelFormat: pf, Size: sz, Description: desc}
			c.FrameRates, c.MinRate, c.MaxRate = frameRates(fd, d.PixelFormat, sz.MaxWidth, sz.MaxHeight)
			out = append(out, c)
		}
	}
	return out, nil
}

// frameSizes lists the sizes of a pixel format: one SizeRange per
// discrete size, or the one stepwise or continuous range.
func frameSizes(fd int, fourcc uint32) []format.SizeRange {
	var out []format.SizeRange
	for i := uint32(0); i < maxEnum; i++ {
		e := v4l2.FrmSizeEnum{Index: i, PixelFormat: fourcc}
		if v4l2.EnumFrameSizes(fd, &e) != nil {
			break
		}
		switch e.Type {
		case v4l2.FrmTypeDiscrete:
			w, h := e.Discrete()
			out = append(out, format.Discrete(int(w), int(h)))
		case v4l2.FrmTypeContinuous, v4l2.FrmTypeStepwise:
			minW, maxW, stepW, minH, maxH, stepH := e.Stepwise()
			if e.Type == v4l2.FrmTypeContinuous {
				stepW, stepH = 1, 1
			}
			return append(out, format.SizeRange{
				MinWidth: int(minW), MaxWidth: int(maxW), StepWidth: int(stepW),
				MinHeight: int(minH), MaxHeight: int(maxH), StepHeight: int(stepH),
			})
		default:
			return out
		}
	}
	return out
}

// frameRates lists the rates at w×h: a discrete list, or a range.
func frameRates(fd int, fourcc uint32, w, h int) (list []format.Rational, lo, hi format.Rational) {
	for i := uint32(0); i < maxEnum; i++ {
		e := v4l2.FrmIvalEnum{Index: i, PixelFormat: fourcc, Width: uint32(w), Height: uint32(h)}
		if v4l2.EnumFrameIntervals(fd, &e) != nil {
			break
		}
		switch e.Type {
		case v4l2.FrmTypeDiscrete:
			if r := rateOf(e.U[0]); !r.IsZero() {
				list = append(list, r)
			}
		case v4l2.FrmTypeContinuous, v4l2.FrmTypeStepwise:
			// the shortest interval is the highest rate
			return list, rateOf(e.U[1]), rateOf(e.U[0])
		default:
			return list, lo, hi
		}
	}
	return list, lo, hi
}

// rateOf turns a frame interval (seconds per frame) into a rate in lowest
// terms.
func rateOf(iv v4l2.Fract) format.Rational {
	if iv.Numerator == 0 || iv.Denominator == 0 {
		return format.Rational{}
	}
	g := gcd(iv.Numerator, iv.Denominator)
	return format.Rational{Num: int(iv.Denominator / g), Den: int(iv.Numerator / g)}
}

// intervalOf turns a rate into a frame interval.
func intervalOf(r format.Rational) v4l2.Fract {
	g := gcd(uint32(r.Num), uint32(r.Den))
	return v4l2.Fract{Numerator: uint32(r.Den) / g, Denominator: uint32(r.Num) / g}
}

func gcd(a, b uint32) uint32 {
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return 1
	}
	return a
}
