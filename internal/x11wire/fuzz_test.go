package x11wire

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/miniav-go/miniav/internal/rawconn"
	"github.com/miniav-go/miniav/internal/testenv"
	"github.com/miniav-go/miniav/internal/xvfb"
)

var record = flag.Bool("record", false, "record the fuzz seed corpus from a real Xvfb (TestRecordCorpus)")

// memConn is a net.Conn whose reads come from a byte slice (then io.EOF)
// and whose writes are dropped: the server's side of a connection, as the
// decoding of replies and events sees it.
type memConn struct{ r *bytes.Reader }

func (m memConn) Read(b []byte) (int, error)     { return m.r.Read(b) }
func (memConn) Write(b []byte) (int, error)      { return len(b), nil }
func (memConn) Close() error                     { return nil }
func (memConn) LocalAddr() net.Addr              { return nil }
func (memConn) RemoteAddr() net.Addr             { return nil }
func (memConn) SetDeadline(time.Time) error      { return nil }
func (memConn) SetReadDeadline(time.Time) error  { return nil }
func (memConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzSetup decodes the server's answer to the connection setup: its
// 8-byte header, then the rest. Seeds: Xvfb's answers (TestRecordCorpus).
func FuzzSetup(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 8 {
			return
		}
		for screen := range 3 {
			var c Conn
			if err := c.parseSetup(":0", display{screen: screen}, [8]byte(data), data[8:]); err == nil && data[0] != 1 {
				t.Fatalf("setup status %d accepted", data[0])
			}
		}
	})
}

// requests are the requests FuzzReplies pretends it sent, with the buffer
// each reply's data goes to: GetGeometry, QueryPointer, a GetImage into a
// small buffer, one into a large one, a cursor image, a request that may
// get an error, and requests without a reply in between.
var fuzzDst = [...]int{0, 0, 40, 4096, 64 * 64 * 4, 0, 0, 32}

// FuzzReplies feeds a byte stream from the server to the reply, error and
// event decoding of a connection waiting for eight pipelined replies,
// and decodes each reply as the requests of this package do. Seeds:
// streams recorded from a real Xvfb (TestRecordCorpus) after its setup.
func FuzzReplies(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		mc := memConn{bytes.NewReader(data)}
		c := &Conn{nc: mc, raw: rawconn.Wrap(mc)}
		events := 0
		c.OnEvent = func(ev *[32]byte) { events++ }
		bufs := make([][]byte, len(fuzzDst))
		seqs := make([]uint64, len(fuzzDst))
		for i, n := range fuzzDst {
			bufs[i] = make([]byte, n)
			c.put(opGetGeometry, 0, 2)
			seq, err := c.send(8, true, bufs[i])
			if err != nil {
				t.Fatal(err)
			}
			seqs[i] = seq
			if i%3 == 2 { // a request without a reply
				c.put(opGetGeometry, 0, 2)
				if _, err := c.send(8, false, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		for i, seq := range seqs {
			r, err := c.Wait(seq)
			if err != nil {
				var xe *Error
				if !errors.As(err, &xe) && !errors.Is(err, ErrNoReply) && !errors.Is(err, ErrProtocol) && !errors.Is(err, io.EOF) {
					t.Fatalf("reply %d: unexpected error %v", i, err)
				}
				if xe != nil && xe.Seq != seq {
					t.Fatalf("reply %d: error of sequence %d", seq, xe.Seq)
				}
				continue
			}
			if len(r.Data) > len(bufs[i]) || len(r.Data) > r.Len || (len(r.Data) > 0 && unsafe.SliceData(r.Data) != &bufs[i][0]) {
				t.Fatalf("reply %d: %d bytes of data, length %d, for a %d-byte buffer", i, len(r.Data), r.Len, len(bufs[i]))
			}
			if r.Len > maxReply {
				t.Fatalf("reply %d of %d bytes", i, r.Len)
			}
			ParseGeometry(&r)
			ParsePointer(&r)
			ParseTranslate(&r)
			ParseShmImage(&r)
			if ci, err := ParseCursorImage(&r); err == nil && int(ci.Width)*int(ci.Height)*4 > r.Len {
				t.Fatalf("cursor image %dx%d in a %d-byte reply", ci.Width, ci.Height, r.Len)
			}
		}
		if events > len(data)/32 {
			t.Fatalf("%d events out of %d bytes", events, len(data))
		}
		c.AsyncError()
	})
}

// A reply or GenericEvent whose length field claims more than maxReply
// (16 GiB at most) breaks the connection with ErrProtocol at once,
// instead of reading (and discarding) gigabytes.
func TestHostileReplyLength(t *testing.T) {
	for _, code := range []byte{1, 35} {
		var hdr [32]byte
		hdr[0] = code
		le.PutUint16(hdr[2:], 1)
		le.PutUint32(hdr[4:], 0xFFFFFFFF)
		mc := memConn{bytes.NewReader(append(hdr[:], make([]byte, 64)...))}
		c := &Conn{nc: mc, raw: rawconn.Wrap(mc)}
		c.put(opGetGeometry, 0, 2)
		seq, err := c.send(8, true, make([]byte, 16))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Wait(seq); !errors.Is(err, ErrProtocol) {
			t.Errorf("packet %d claiming 16 GiB: %v, want ErrProtocol", code, err)
		}
		if err := c.Err(); !errors.Is(err, ErrProtocol) {
			t.Errorf("packet %d claiming 16 GiB: connection error %v, want ErrProtocol", code, err)
		}
	}
}

// teeConn keeps what the server sent.
type teeConn struct {
	net.Conn
	mu  *sync.Mutex
	got *bytes.Buffer
}

func (c teeConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.got.Write(b[:n])
	c.mu.Unlock()
	return n, err
}

// TestRecordCorpus (with -record) records the seed corpus of FuzzSetup
// and FuzzReplies from a real Xvfb: the setup answer, then replies of
// every request this package sends, an error, an X event (PropertyNotify)
// and an extension's reply.
func TestRecordCorpus(t *testing.T) {
	if !*record {
		t.Skip("records the fuzz corpus with -record")
	}
	x := xvfb.Start(t)
	var mu sync.Mutex
	var got bytes.Buffer
	c, err := dialWrap(context.Background(), x.Display, func(nc net.Conn) net.Conn { return teeConn{nc, &mu, &got} })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mu.Lock()
	setup := bytes.Clone(got.Bytes())
	got.Reset()
	mu.Unlock()
	if err := testenv.WriteCorpus("FuzzSetup", "xvfb", setup); err != nil {
		t.Fatal(err)
	}
	events := 0
	c.OnEvent = func(*[32]byte) { events++ }

	// PropertyNotify events: select them on the root, change a property.
	c.put(2, 0, 4) // ChangeWindowAttributes
	le.PutUint32(c.req[4:], c.Root)
	le.PutUint32(c.req[8:], 0x800)     // CWEventMask
	le.PutUint32(c.req[12:], 0x400000) // PropertyChangeMask
	if _, err := c.send(16, false, nil); err != nil {
		t.Fatal(err)
	}
	c.put(18, 0, 8) // ChangeProperty, replace
	le.PutUint32(c.req[4:], c.Root)
	le.PutUint32(c.req[8:], 39)  // WM_NAME
	le.PutUint32(c.req[12:], 31) // STRING
	c.req[16] = 8
	le.PutUint32(c.req[20:], 8)
	copy(c.req[24:], "fuzzseed")
	if _, err := c.send(32, false, nil); err != nil {
		t.Fatal(err)
	}
	img := make([]byte, 8*4*4)
	gs, _ := c.GetGeometry(c.Root)
	ps, _ := c.QueryPointer(c.Root)
	is, _ := c.GetImage(ZPixmap, c.Root, 0, 0, 8, 4, 0xffffffff, img)
	bs, _ := c.GetGeometry(0x3fffff) // BadDrawable
	ts, _ := c.TranslateCoordinates(c.Root, c.Root, 7, 9)
	for _, s := range []uint64{gs, ps, is, bs, ts} {
		c.Wait(s)
	}
	fx, err := c.QueryExtension("XFIXES")
	if err != nil || !fx.Present {
		t.Fatalf("XFIXES: %+v %v", fx, err)
	}
	if _, _, err := c.XFixesQueryVersion(fx.Major, 4, 0); err != nil {
		t.Fatal(err)
	}
	cs, _ := c.XFixesGetCursorImage(fx.Major, make([]byte, 64*64*4))
	if _, err := c.Wait(cs); err != nil {
		t.Fatal(err)
	}
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	if events == 0 {
		t.Fatal("no PropertyNotify event")
	}
	mu.Lock()
	defer mu.Unlock()
	// The stream whole, and one seed per reply, error or event.
	stream := got.Bytes()
	if err := testenv.WriteCorpus("FuzzReplies", "xvfb", stream); err != nil {
		t.Fatal(err)
	}
	n := 0
	for s := stream; len(s) >= 32; n++ {
		size := 32
		if s[0] == 1 || s[0] == 35 {
			size += int(le.Uint32(s[4:])) * 4
		}
		if size > len(s) {
			break
		}
		if err := testenv.WriteCorpus("FuzzReplies", "xvfb-packet", s[:size]); err != nil {
			t.Fatal(err)
		}
		s = s[size:]
	}
	t.Logf("setup answer %d bytes; %d bytes of replies, errors and events (%d packets, %d events)", len(setup), len(stream), n, events)
}
