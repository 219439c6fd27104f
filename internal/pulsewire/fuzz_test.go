package pulsewire

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miniav-go/miniav/internal/pulse"
	"github.com/miniav-go/miniav/internal/testenv"
)

var record = flag.Bool("record", false, "record the fuzz seed corpus from a real PulseAudio daemon (TestRecordCorpus)")

// readConn is a Conn that reads the server's side of a connection from
// data and cannot write: what the decoding of packets sees.
func readConn(data []byte, stream uint32) *Conn {
	return &Conn{br: bufio.NewReaderSize(bytes.NewReader(data), 64<<10), stream: stream}
}

// wireErr reports whether err is one a malformed or cut stream may give.
func wireErr(err error) bool {
	return errors.Is(err, ErrProtocol) || errors.Is(err, ErrKilled) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// allocBound checks that the command buffer grew by at most what the
// stream held (plus one chunk): a length field alone allocates nothing.
func allocBound(t *testing.T, c *Conn, data []byte) {
	t.Helper()
	if limit := 2*len(data) + growChunk; cap(c.cmd) > limit {
		t.Fatalf("command buffer of %d bytes for a %d-byte stream", cap(c.cmd), len(data))
	}
}

// FuzzPackets feeds a byte stream from the server to the packet framing:
// record data (ReadData), subscription events (ReadEvent) and the replies
// of every command this package decodes. The seeds are whole server
// streams recorded from a real daemon (TestRecordCorpus).
func FuzzPackets(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		// A recording client: data of channel 0, with events between.
		c := readConn(data, 0)
		buf := make([]byte, 4096)
		total := 0
		for range 10000 {
			n, err := c.ReadData(buf)
			if err != nil {
				if !wireErr(err) {
					t.Fatalf("ReadData: unexpected error %v", err)
				}
				break
			}
			if n <= 0 || n > len(buf) {
				t.Fatalf("ReadData returned %d bytes", n)
			}
			total += n
		}
		if total > len(data) {
			t.Fatalf("%d bytes of data out of a %d-byte stream", total, len(data))
		}
		allocBound(t, c, data)

		// A subscribing client.
		c = readConn(data, commandChannel)
		for range 10000 {
			if _, err := c.ReadEvent(); err != nil {
				if !wireErr(err) {
					t.Fatalf("ReadEvent: unexpected error %v", err)
				}
				break
			}
		}
		allocBound(t, c, data)

		// Every command packet through every reply decoder.
		c = readConn(data, commandChannel)
		for range 10000 {
			r, _, err := c.next(false)
			if err != nil {
				if !wireErr(err) {
					t.Fatalf("next: unexpected error %v", err)
				}
				break
			}
			decodeAll(t, r.b)
		}
		allocBound(t, c, data)
	})
}

// decodeAll decodes payload (a command packet's, after its command and
// tag, or from its start) as each reply this package reads.
func decodeAll(t *testing.T, payload []byte) {
	t.Helper()
	for _, skip := range []bool{false, true} {
		r := NewReader(payload)
		if skip {
			r.U32() // command
			r.U32() // tag
			if r.Err() != nil {
				continue
			}
		}
		rest := r.b
		check := func(what string, err error) {
			if err != nil && !errors.Is(err, ErrProtocol) {
				t.Fatalf("%s: error %v does not wrap ErrProtocol", what, err)
			}
		}
		_, err := parseServerInfo(NewReader(rest))
		check("server info", err)
		for _, ver := range []uint32{MinVersion, verStreamKilled, Version, verPortGroup} {
			srcs, err := parseSources(NewReader(rest), ver)
			check("sources", err)
			if len(srcs) > len(rest) {
				t.Fatalf("%d sources out of %d bytes", len(srcs), len(rest))
			}
		}
		_, err = parseRecordStream(NewReader(rest))
		check("record stream", err)
		walk(t, rest)
	}
}

// walk reads payload as a sequence of tagged values, whatever their tags.
func walk(t *testing.T, payload []byte) {
	t.Helper()
	r := NewReader(payload)
	for r.Len() > 0 && r.Err() == nil {
		before := r.Len()
		switch r.b[0] {
		case tagU32:
			r.U32()
		case tagU8:
			r.U8()
		case tagUsec:
			r.Usec()
		case tagTrue, tagFalse:
			r.Bool()
		case tagVolume:
			r.Volume()
		case tagString, tagStringNull:
			r.Text()
		case tagArbitrary:
			if v := r.Arbitrary(); len(v) > before {
				t.Fatalf("arbitrary of %d bytes out of %d", len(v), before)
			}
		case tagSampleSpec:
			r.SampleSpec()
		case tagChannelMap:
			r.ChannelMap()
		case tagCVolume:
			if v := r.CVolume(); 4*len(v) > before {
				t.Fatalf("%d volumes out of %d bytes", len(v), before)
			}
		case tagPropList:
			r.PropList()
		case tagFormatInfo:
			r.FormatInfo()
		default:
			r.U32() // fails: an unknown tag
		}
		if r.Err() == nil && r.Len() >= before {
			t.Fatalf("a read consumed nothing at %d bytes left", before)
		}
	}
	if err := r.Err(); err != nil && !errors.Is(err, ErrProtocol) {
		t.Fatalf("error %v does not wrap ErrProtocol", err)
	}
}

// FuzzTagStruct decodes a command packet's payload as a tagged structure:
// the replies to GET_SERVER_INFO, GET_SOURCE_INFO_LIST and
// CREATE_RECORD_STREAM, and a walk over any tags. Seeds: the payloads of
// the command packets a real daemon sent (TestRecordCorpus).
func FuzzTagStruct(f *testing.F) {
	var w Builder
	w.U32(cmdReply)
	w.U32(1)
	w.PropList("application.name", "seed")
	w.CVolume([]uint32{0x10000, 0x10000})
	f.Add(w.Bytes())
	// A source list entry of a version-32 server (ports, formats).
	w.Reset()
	w.U32(0)
	w.String("src")
	w.String("")
	w.SampleSpec(SampleSpec{FormatS16LE, 1, 8000})
	w.ChannelMap([]byte{PositionMono})
	w.U32(InvalidIndex)
	w.CVolume([]uint32{VolumeNorm})
	w.Bool(true)
	w.U32(InvalidIndex)
	w.String("")
	w.b = be.AppendUint64(append(w.b, tagUsec), 0)
	w.String("drv")
	w.U32(0)
	w.PropList("k", "v")
	w.b = be.AppendUint64(append(w.b, tagUsec), 0)
	w.b = be.AppendUint32(append(w.b, tagVolume), VolumeNorm)
	w.U32(0)
	w.U32(0)
	w.U32(InvalidIndex)
	w.U32(1)
	w.String("port")
	w.String("Port")
	w.U32(1)
	w.U32(0)
	w.String("port")
	w.U8(1)
	w.b = append(w.b, tagFormatInfo)
	w.U8(1)
	w.PropList()
	f.Add(append([]byte(nil), w.Bytes()...))
	f.Fuzz(func(t *testing.T, payload []byte) {
		decodeAll(t, payload)
	})
}

// A hostile length field is an error before anything is allocated for
// it: a header claiming 4 GB, and one claiming the 16 MB maximum with only
// a few bytes behind it.
func TestHostileLength(t *testing.T) {
	hdr := func(n uint32, channel uint32) []byte {
		b := be.AppendUint32(nil, n)
		b = be.AppendUint32(b, channel)
		return append(b, make([]byte, 12)...)
	}
	for _, ch := range []uint32{commandChannel, 0, 7} {
		c := readConn(hdr(0xFFFFFFFF, ch), 0)
		_, _, err := c.next(true)
		if !errors.Is(err, ErrProtocol) {
			t.Errorf("4 GB packet on channel %#x: %v, want ErrProtocol", ch, err)
		}
		if cap(c.cmd) != 0 {
			t.Errorf("4 GB packet: allocated %d bytes", cap(c.cmd))
		}
	}
	c := readConn(append(hdr(maxPacket, commandChannel), "LABCD"...), 0)
	_, _, err := c.next(false)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("16 MB packet cut after 5 bytes: %v, want io.ErrUnexpectedEOF", err)
	}
	if cap(c.cmd) > growChunk {
		t.Errorf("16 MB packet cut after 5 bytes: allocated %d bytes, want at most %d", cap(c.cmd), growChunk)
	}
	// A packet larger than the chunk still arrives whole.
	body := bytes.Repeat([]byte{tagU32, 0, 0, 0, 9}, 3*growChunk/5)
	c = readConn(append(hdr(uint32(len(body)), commandChannel), body...), 0)
	r, _, err := c.next(false)
	if err != nil || r.Len() != len(body) || r.U32() != 9 {
		t.Fatalf("a %d-byte packet: %v", len(body), err)
	}
}

// The steady state of a command packet that fits the buffer allocates
// nothing.
func TestCommandNoAlloc(t *testing.T) {
	var w Builder
	w.U32(cmdSubscribeEvent)
	w.U32(InvalidIndex)
	w.U32(FacilitySource | EventChange)
	w.U32(3)
	pkt := be.AppendUint32(nil, uint32(len(w.Bytes())))
	pkt = be.AppendUint32(pkt, commandChannel)
	pkt = append(append(pkt, make([]byte, 12)...), w.Bytes()...)
	src := bytes.NewReader(nil)
	c := &Conn{br: bufio.NewReader(src), stream: commandChannel}
	src.Reset(pkt)
	if _, err := c.ReadEvent(); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		src.Reset(pkt)
		c.br.Reset(src)
		if e, err := c.ReadEvent(); err != nil || e.Index != 3 {
			t.Fatal(e, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per event", allocs)
	}
}

// tee forwards a client's connection to the daemon and keeps what the
// daemon sent.
type tee struct {
	mu   sync.Mutex
	recv []*bytes.Buffer
}

func (p *tee) serve(t *testing.T, ln net.Listener, addr string) {
	for {
		cc, err := ln.Accept()
		if err != nil {
			return
		}
		sc, err := net.Dial("unix", strings.TrimPrefix(addr, "unix:"))
		if err != nil {
			t.Error(err)
			cc.Close()
			return
		}
		var buf bytes.Buffer
		p.mu.Lock()
		p.recv = append(p.recv, &buf)
		p.mu.Unlock()
		go func() { io.Copy(sc, cc); sc.Close() }()
		go func() {
			b := make([]byte, 4096)
			for {
				n, err := sc.Read(b)
				p.mu.Lock()
				buf.Write(b[:n])
				p.mu.Unlock()
				if _, werr := cc.Write(b[:n]); err != nil || werr != nil {
					cc.Close()
					return
				}
			}
		}()
	}
}

// TestRecordCorpus (with -record) records the seed corpus of FuzzPackets
// and FuzzTagStruct from a private PulseAudio daemon: the handshake,
// server info, source list, a record stream's data, subscription events
// and a killed stream, each connection's bytes as the server sent them.
func TestRecordCorpus(t *testing.T) {
	if !*record {
		t.Skip("records the fuzz corpus with -record")
	}
	srv := pulse.StartT(t)
	ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "native"))
	if err != nil {
		t.Fatal(err)
	}
	var p tee
	done := make(chan struct{})
	go func() { p.serve(t, ln, srv.Addr); close(done) }()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	addr := "unix:" + ln.Addr().String()

	// Info and sources.
	c, err := Dial(ctx, addr, "fuzz recorder")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServerInfo(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sources(); err != nil {
		t.Fatal(err)
	}
	c.Close()

	// Events.
	ev, err := Dial(ctx, addr, "fuzz recorder events")
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Subscribe(SubscribeSource | SubscribeServer); err != nil {
		t.Fatal(err)
	}
	unload := srv.NullSink(t, "fuzzrec")
	// A stream that the server kills when its source goes.
	rc, err := Dial(ctx, addr, "fuzz recorder stream")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.CreateRecordStream(RecordConfig{
		SampleSpec: SampleSpec{Format: FormatS16LE, Channels: 2, Rate: 8000},
		ChannelMap: []byte{PositionFrontLeft, PositionFrontRight}, Source: "fuzzrec.monitor",
		FragSize: 64, AdjustLatency: true, NoMove: true,
	}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	for range 6 {
		if _, err := rc.ReadData(buf); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := ev.ReadEvent(); err != nil {
			t.Fatal(err)
		}
	}
	unload()
	for {
		if _, err := rc.ReadData(buf); err != nil {
			if !errors.Is(err, ErrKilled) {
				t.Fatal(err)
			}
			break
		}
	}
	rc.Close()
	ev.Close()
	time.Sleep(200 * time.Millisecond)
	ln.Close()
	<-done

	p.mu.Lock()
	defer p.mu.Unlock()
	for i, b := range p.recv {
		stream := b.Bytes()
		if len(stream) > 16<<10 {
			stream = stream[:16<<10]
		}
		if err := testenv.WriteCorpus("FuzzPackets", "pulseaudio", stream); err != nil {
			t.Fatal(err)
		}
		// Each command packet's payload.
		n := 0
		for s := b.Bytes(); len(s) >= headerSize; {
			size := int(be.Uint32(s))
			if headerSize+size > len(s) {
				break
			}
			if be.Uint32(s[4:]) == commandChannel {
				if err := testenv.WriteCorpus("FuzzTagStruct", "pulseaudio", s[headerSize:headerSize+size]); err != nil {
					t.Fatal(err)
				}
				n++
			}
			s = s[headerSize+size:]
		}
		t.Logf("connection %d: %d bytes, %d command packets", i, b.Len(), n)
	}
}
