package pulsewire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrProtocol is wrapped by every error about a malformed message.
var ErrProtocol = errors.New("pulse: protocol error")

// Tag bytes of the native protocol's tagged structures.
const (
	tagString     = 't'
	tagStringNull = 'N'
	tagU32        = 'L'
	tagU8         = 'B'
	tagU64        = 'R'
	tagS64        = 'r'
	tagSampleSpec = 'a'
	tagArbitrary  = 'x'
	tagTrue       = '1'
	tagFalse      = '0'
	tagTimeval    = 'T'
	tagUsec       = 'U'
	tagChannelMap = 'm'
	tagCVolume    = 'v'
	tagPropList   = 'P'
	tagVolume     = 'V'
	tagFormatInfo = 'f'
)

var be = binary.BigEndian

// Builder appends a tagged structure to a reusable buffer.
type Builder struct{ b []byte }

// Bytes returns what was built.
func (w *Builder) Bytes() []byte { return w.b }

// Reset empties w, keeping its memory.
func (w *Builder) Reset() { w.b = w.b[:0] }

// U32 appends an unsigned 32-bit value.
func (w *Builder) U32(v uint32) { w.b = be.AppendUint32(append(w.b, tagU32), v) }

// U8 appends a byte value.
func (w *Builder) U8(v uint8) { w.b = append(w.b, tagU8, v) }

// Bool appends a boolean.
func (w *Builder) Bool(v bool) {
	if v {
		w.b = append(w.b, tagTrue)
	} else {
		w.b = append(w.b, tagFalse)
	}
}

// String appends a string; the empty string is sent as the null string,
// which is what the server expects for "no name" (the default device).
func (w *Builder) String(s string) {
	if s == "" {
		w.b = append(w.b, tagStringNull)
		return
	}
	w.b = append(append(append(w.b, tagString), s...), 0)
}

// Arbitrary appends a byte string.
func (w *Builder) Arbitrary(p []byte) {
	w.b = append(be.AppendUint32(append(w.b, tagArbitrary), uint32(len(p))), p...)
}

// SampleSpec appends a sample specification.
func (w *Builder) SampleSpec(s SampleSpec) {
	w.b = be.AppendUint32(append(w.b, tagSampleSpec, s.Format, s.Channels), s.Rate)
}

// ChannelMap appends a channel map.
func (w *Builder) ChannelMap(m []byte) {
	w.b = append(append(w.b, tagChannelMap, byte(len(m))), m...)
}

// CVolume appends per-channel volumes.
func (w *Builder) CVolume(v []uint32) {
	w.b = append(w.b, tagCVolume, byte(len(v)))
	for _, x := range v {
		w.b = be.AppendUint32(w.b, x)
	}
}

// CVolumeNorm appends n channels of unity volume (PA_VOLUME_NORM).
func (w *Builder) CVolumeNorm(n int) {
	w.b = append(w.b, tagCVolume, byte(n))
	for range n {
		w.b = be.AppendUint32(w.b, VolumeNorm)
	}
}

// VolumeNorm is PA_VOLUME_NORM, unity gain.
const VolumeNorm = 0x10000

// PropList appends a property list of string values, given as key, value
// pairs.
func (w *Builder) PropList(kv ...string) {
	w.b = append(w.b, tagPropList)
	for i := 0; i+1 < len(kv); i += 2 {
		w.String(kv[i])
		w.U32(uint32(len(kv[i+1]) + 1))
		w.b = append(be.AppendUint32(append(w.b, tagArbitrary), uint32(len(kv[i+1])+1)), kv[i+1]...)
		w.b = append(w.b, 0)
	}
	w.b = append(w.b, tagStringNull)
}

// Reader reads a tagged structure. The first malformed value makes every
// later read return a zero value; Err reports it.
type Reader struct {
	b   []byte
	err error
}

// NewReader reads p.
func NewReader(p []byte) *Reader { return &Reader{b: p} }

// Reset makes r read p.
func (r *Reader) Reset(p []byte) { r.b, r.err = p, nil }

// Err is the first error met, wrapping ErrProtocol.
func (r *Reader) Err() error { return r.err }

// Len is how many bytes are left.
func (r *Reader) Len() int { return len(r.b) }

func (r *Reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: bad %s", ErrProtocol, what)
	}
	r.b = nil
}

// take consumes a tag and n bytes after it.
func (r *Reader) take(tag byte, n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < 1+n || r.b[0] != tag {
		r.fail(what)
		return nil
	}
	p := r.b[1 : 1+n]
	r.b = r.b[1+n:]
	return p
}

// U32 reads an unsigned 32-bit value.
func (r *Reader) U32() uint32 {
	if p := r.take(tagU32, 4, "u32"); p != nil {
		return be.Uint32(p)
	}
	return 0
}

// U8 reads a byte value.
func (r *Reader) U8() uint8 {
	if p := r.take(tagU8, 1, "u8"); p != nil {
		return p[0]
	}
	return 0
}

// Usec reads a duration in microseconds.
func (r *Reader) Usec() uint64 {
	if p := r.take(tagUsec, 8, "usec"); p != nil {
		return be.Uint64(p)
	}
	return 0
}

// Bool reads a boolean.
func (r *Reader) Bool() bool {
	if r.err == nil && len(r.b) > 0 && (r.b[0] == tagTrue || r.b[0] == tagFalse) {
		v := r.b[0] == tagTrue
		r.b = r.b[1:]
		return v
	}
	r.fail("bool")
	return false
}

// Volume reads a volume.
func (r *Reader) Volume() uint32 {
	if p := r.take(tagVolume, 4, "volume"); p != nil {
		return be.Uint32(p)
	}
	return 0
}

// Text reads a string; the null string reads as "".
func (r *Reader) Text() string {
	if r.err != nil {
		return ""
	}
	if len(r.b) > 0 && r.b[0] == tagStringNull {
		r.b = r.b[1:]
		return ""
	}
	if len(r.b) < 2 || r.b[0] != tagString {
		r.fail("string")
		return ""
	}
	for i := 1; i < len(r.b); i++ {
		if r.b[i] == 0 {
			s := string(r.b[1:i])
			r.b = r.b[i+1:]
			return s
		}
	}
	r.fail("string")
	return ""
}

// Arbitrary reads a byte string (a view into the message).
func (r *Reader) Arbitrary() []byte {
	p := r.take(tagArbitrary, 4, "arbitrary")
	if p == nil {
		return nil
	}
	n := int(be.Uint32(p))
	if n > len(r.b) {
		r.fail("arbitrary length")
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// SampleSpec reads a sample specification.
func (r *Reader) SampleSpec() SampleSpec {
	if p := r.take(tagSampleSpec, 6, "sample spec"); p != nil {
		return SampleSpec{Format: p[0], Channels: p[1], Rate: be.Uint32(p[2:])}
	}
	return SampleSpec{}
}

// ChannelMap reads a channel map.
func (r *Reader) ChannelMap() []byte {
	p := r.take(tagChannelMap, 1, "channel map")
	if p == nil {
		return nil
	}
	n := int(p[0])
	if n > len(r.b) {
		r.fail("channel map length")
		return nil
	}
	m := append([]byte(nil), r.b[:n]...)
	r.b = r.b[n:]
	return m
}

// CVolume reads per-channel volumes.
func (r *Reader) CVolume() []uint32 {
	p := r.take(tagCVolume, 1, "cvolume")
	if p == nil {
		return nil
	}
	n := int(p[0])
	if 4*n > len(r.b) {
		r.fail("cvolume length")
		return nil
	}
	v := make([]uint32, n)
	for i := range v {
		v[i] = be.Uint32(r.b[4*i:])
	}
	r.b = r.b[4*n:]
	return v
}

// PropList reads a property list; values are returned without their
// terminating NUL.
func (r *Reader) PropList() map[string]string {
	if r.take(tagPropList, 0, "proplist") == nil && r.err != nil {
		return nil
	}
	m := map[string]string{}
	for r.err == nil {
		if len(r.b) > 0 && r.b[0] == tagStringNull {
			r.b = r.b[1:]
			return m
		}
		k := r.Text()
		n := r.U32()
		v := r.Arbitrary()
		if r.err != nil || uint32(len(v)) != n {
			r.fail("proplist entry")
			return nil
		}
		if len(v) > 0 && v[len(v)-1] == 0 {
			v = v[:len(v)-1]
		}
		m[k] = string(v)
	}
	return nil
}

// FormatInfo reads a format (pa_format_info): its encoding and
// properties.
func (r *Reader) FormatInfo() (encoding uint8, props map[string]string) {
	if r.take(tagFormatInfo, 0, "format info") == nil && r.err != nil {
		return 0, nil
	}
	encoding = r.U8()
	props = r.PropList()
	if r.err != nil {
		return 0, nil
	}
	return encoding, props
}

// SampleSpec is pa_sample_spec.
type SampleSpec struct {
	Format   uint8
	Channels uint8
	Rate     uint32
}

// Sample formats (pa_sample_format_t).
const (
	FormatU8      = 0
	FormatS16LE   = 3
	FormatF32LE   = 5
	FormatS32LE   = 7
	FormatS24LE   = 9
	FormatS24in32 = 11
)

// Channel positions (pa_channel_position_t).
const (
	PositionMono       = 0
	PositionFrontLeft  = 1
	PositionFrontRight = 2
	PositionAux0       = 12
)
