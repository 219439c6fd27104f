package x11wire

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/internal/xvfb"
)

func TestMain(m *testing.M) {
	xgb.Logger = log.New(io.Discard, "", 0)
	goleak.VerifyTestMain(m)
}

func dial(t *testing.T, display string) *Conn {
	t.Helper()
	c, err := Dial(context.Background(), display)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestParseDisplay(t *testing.T) {
	for _, c := range []struct {
		in   string
		want display
		ok   bool
	}{
		{":0", display{"", 0, 0}, true},
		{":12.1", display{"", 12, 1}, true},
		{"unix:3", display{"", 3, 0}, true},
		{"host:2.0", display{"host", 2, 0}, true},
		{"tcp/10.0.0.1:1", display{"10.0.0.1", 1, 0}, true},
		{"[::1]:4", display{"::1", 4, 0}, true},
		{"unix/:5", display{"", 5, 0}, true},
		{"", display{}, false},
		{"nocolon", display{}, false},
		{":x", display{}, false},
		{":1.y", display{}, false},
		{"ftp/h:1", display{}, false},
	} {
		got, err := parseDisplay(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("parseDisplay(%q) = %+v, %v; want %+v ok=%v", c.in, got, err, c.want, c.ok)
		}
		if err != nil && !errors.Is(err, ErrBadDisplay) {
			t.Errorf("parseDisplay(%q): %v is not ErrBadDisplay", c.in, err)
		}
	}
}

// authRecord encodes one Xauthority record.
func authRecord(family uint16, addr, num, name string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, family)
	for _, f := range [][]byte{[]byte(addr), []byte(num), []byte(name), data} {
		binary.Write(&b, binary.BigEndian, uint16(len(f)))
		b.Write(f)
	}
	return b.Bytes()
}

func TestReadAuth(t *testing.T) {
	good := []byte("0123456789abcdef")
	file := append(authRecord(familyLocal, "otherhost", "1", cookieName, []byte("nope")),
		authRecord(familyLocal, "me", "1", "XDM-AUTHORIZATION-1", []byte("nope"))...)
	file = append(file, authRecord(familyLocal, "me", "1", cookieName, good)...)
	file = append(file, authRecord(familyWild, "", "", cookieName, []byte("wild"))...)
	es, err := readAuth(bytes.NewReader(file))
	if err != nil || len(es) != 4 {
		t.Fatalf("readAuth: %d entries, %v", len(es), err)
	}
	me := []authKey{{familyLocal, "me"}}
	if got := pickAuth(es, me, 1); !bytes.Equal(got, good) {
		t.Errorf("cookie %q, want %q", got, good)
	}
	if got := pickAuth(es, me, 2); string(got) != "wild" {
		t.Errorf("display 2: cookie %q, want the wildcard", got)
	}
	if got := pickAuth(es[:2], me, 1); got != nil {
		t.Errorf("no matching record: cookie %q", got)
	}
	if _, err := readAuth(bytes.NewReader(file[:len(file)-3])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated file: %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	if _, err := Dial(context.Background(), "garbage"); !errors.Is(err, ErrBadDisplay) {
		t.Errorf("Dial(garbage): %v", err)
	}
	// No server: the error names the display and the socket.
	_, err := Dial(context.Background(), ":4999")
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(":4999")) || !bytes.Contains([]byte(err.Error()), []byte("X4999")) {
		t.Errorf("Dial(:4999): %v", err)
	}
	x := xvfb.Start(t)
	if _, err := Dial(context.Background(), x.Display+".3"); !errors.Is(err, ErrBadDisplay) {
		t.Errorf("screen 3: %v", err)
	}
}

func TestAuth(t *testing.T) {
	dir := t.TempDir()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	cookie := []byte("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10")
	srvAuth := filepath.Join(dir, "server")
	if err := os.WriteFile(srvAuth, authRecord(familyLocal, host, "", cookieName, cookie), 0o600); err != nil {
		t.Fatal(err)
	}
	x := xvfb.StartArgs(t, "-auth", srvAuth)
	num := x.Display[1:]
	write := func(name string, data []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, authRecord(familyLocal, host, num, cookieName, data), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}

	t.Setenv("XAUTHORITY", write("good", cookie))
	c := dial(t, x.Display)
	if c.Width != 1920 || c.Height != 1080 || c.RootDepth != 24 || c.Root == 0 {
		t.Errorf("setup: root %#x %dx%d depth %d", c.Root, c.Width, c.Height, c.RootDepth)
	}
	for name, file := range map[string]string{
		"wrong cookie": write("bad", []byte("0000000000000000")),
		"no file":      filepath.Join(dir, "missing"),
	} {
		t.Setenv("XAUTHORITY", file)
		_, err := Dial(context.Background(), x.Display)
		if !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want ErrRefused", name, err)
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestRequests(t *testing.T) {
	x := xvfb.Start(t)
	c := dial(t, x.Display)
	if err := c.Sync(); err != nil {
		t.Fatal(err)
	}
	// Pipelined requests of several kinds, replies waited for in order.
	img := make([]byte, 16*8*4+100)
	gs, _ := c.GetGeometry(c.Root)
	ps, _ := c.QueryPointer(c.Root)
	is, _ := c.GetImage(ZPixmap, c.Root, 100, 100, 16, 8, 0xffffffff, img)
	bs, _ := c.GetGeometry(0x3fffff) // no such drawable
	ts, _ := c.TranslateCoordinates(c.Root, c.Root, 7, 9)
	if !(gs < ps && ps < is && is < bs && bs < ts) {
		t.Fatalf("sequence numbers %d %d %d %d %d", gs, ps, is, bs, ts)
	}
	r, err := c.Wait(gs)
	if g := ParseGeometry(&r); err != nil || g.Width != 1920 || g.Height != 1080 || g.Depth != 24 || g.Root != c.Root {
		t.Errorf("GetGeometry: %+v, %v", g, err)
	}
	r, err = c.Wait(ps)
	if x, y := ParsePointer(&r); err != nil || x < 0 || y < 0 || x >= 1920 || y >= 1080 {
		t.Errorf("QueryPointer: %d,%d %v", x, y, err)
	}
	r, err = c.Wait(is)
	if err != nil || r.Len != 16*8*4 || len(r.Data) != 16*8*4 || r.Header[1] != 24 {
		t.Errorf("GetImage: len %d data %d depth %d, %v", r.Len, len(r.Data), r.Header[1], err)
	}
	_, err = c.Wait(bs)
	var xe *Error
	if !errors.As(err, &xe) || xe.Code != BadDrawable || xe.Seq != bs || xe.Bad != 0x3fffff || xe.Major != opGetGeometry {
		t.Errorf("GetGeometry of a bad drawable: %v", err)
	}
	r, err = c.Wait(ts)
	if x, y := ParseTranslate(&r); err != nil || x != 7 || y != 9 {
		t.Errorf("TranslateCoordinates: %d,%d %v", x, y, err)
	}
	if _, err := c.Wait(ts); !errors.Is(err, ErrNoReply) {
		t.Errorf("second Wait: %v, want ErrNoReply", err)
	}
	// A buffer too small keeps what fits and reports the full length.
	is, _ = c.GetImage(ZPixmap, c.Root, 0, 0, 16, 8, 0xffffffff, img[:10])
	if r, err := c.Wait(is); err != nil || r.Len != 16*8*4 || len(r.Data) != 10 {
		t.Errorf("short buffer: len %d data %d, %v", r.Len, len(r.Data), err)
	}

	// MIT-SHM: attaching a segment that does not exist fails in Sync.
	ext, err := c.QueryExtension("MIT-SHM")
	if err != nil || !ext.Present || ext.Major < 128 {
		t.Fatalf("MIT-SHM: %+v %v", ext, err)
	}
	seg, _ := c.NewID()
	if err := c.ShmAttach(ext.Major, seg, 0x7ffffff0, false); err != nil {
		t.Fatal(err)
	}
	err = c.Sync()
	if !errors.As(err, &xe) || xe.Major != ext.Major || xe.Minor != shmAttach {
		t.Errorf("ShmAttach of a bad id: %v", err)
	}
	if err := c.Sync(); err != nil {
		t.Errorf("second Sync: %v", err)
	}
	if ext, err := c.QueryExtension("NO-SUCH-EXTENSION"); err != nil || ext.Present {
		t.Errorf("unknown extension: %+v %v", ext, err)
	}

	// XFIXES: version, cursor image.
	fx, err := c.QueryExtension("XFIXES")
	if err != nil || !fx.Present {
		t.Fatalf("XFIXES: %+v %v", fx, err)
	}
	if maj, _, err := c.XFixesQueryVersion(fx.Major, 4, 0); err != nil || maj < 2 {
		t.Fatalf("XFIXES version %d: %v", maj, err)
	}
	buf := make([]byte, 64*64*4)
	cs, _ := c.XFixesGetCursorImage(fx.Major, buf)
	r, err = c.Wait(cs)
	ci, perr := ParseCursorImage(&r)
	if err != nil || perr != nil || ci.Width == 0 || r.Len != int(ci.Width)*int(ci.Height)*4 {
		t.Errorf("cursor image %+v len %d: %v %v", ci, r.Len, err, perr)
	}
}

func TestZeroAllocs(t *testing.T) {
	x := xvfb.Start(t)
	c := dial(t, x.Display)
	img := make([]byte, 64*64*4)
	c.Bind(context.Background())
	n := testing.AllocsPerRun(100, func() {
		s1, _ := c.GetImage(ZPixmap, c.Root, 0, 0, 64, 64, 0xffffffff, img)
		s2, _ := c.QueryPointer(c.Root)
		if _, err := c.Wait(s1); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Wait(s2); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per round trip", n)
	}
}

// TestInterrupt waits for a reply held back by another client's server
// grab: a done context ends the Wait, and a later Wait gets the reply.
func TestInterrupt(t *testing.T) {
	x := xvfb.Start(t)
	c := dial(t, x.Display)
	g, err := xgb.NewConnDisplay(x.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := xproto.GrabServerChecked(g).Check(); err != nil {
		t.Fatal(err)
	}
	seq, err := c.GetGeometry(c.Root)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	c.Bind(ctx)
	if _, err := c.Wait(seq); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait during a grab: %v, want DeadlineExceeded", err)
	}
	if err := xproto.UngrabServerChecked(g).Check(); err != nil {
		t.Fatal(err)
	}
	c.Bind(context.Background())
	r, err := c.Wait(seq)
	if g := ParseGeometry(&r); err != nil || g.Width != 1920 {
		t.Fatalf("Wait after the grab: %+v %v", g, err)
	}
}

func TestServerDies(t *testing.T) {
	x := xvfb.Start(t)
	c := dial(t, x.Display)
	x.Kill()
	seq, err := c.GetGeometry(c.Root)
	if err == nil {
		_, err = c.Wait(seq)
	}
	if err == nil || c.Err() == nil {
		t.Fatalf("request after the server died: %v", err)
	}
	if !errors.Is(err, io.EOF) && !errors.Is(c.Err(), io.EOF) {
		t.Logf("error is not EOF: %v", err)
	}
	if _, err := c.GetGeometry(c.Root); err == nil {
		t.Errorf("no sticky error")
	}
}

// TestSequenceWrap sends more than 65536 requests, pipelined eight at a
// time: the 16-bit sequence numbers on the wire wrap and replies still
// reach their requests.
func TestSequenceWrap(t *testing.T) {
	x := xvfb.Start(t)
	c := dial(t, x.Display)
	var seqs [8]uint64
	for i := 0; i < 70000; i += len(seqs) {
		for j := range seqs {
			var err error
			if j%2 == 0 {
				seqs[j], err = c.TranslateCoordinates(c.Root, c.Root, int16(j), int16(i%1000))
			} else {
				seqs[j], err = c.GetGeometry(0x3fffff) // an error every other request
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		for j, s := range seqs {
			r, err := c.Wait(s)
			if j%2 == 0 {
				if x, y := ParseTranslate(&r); err != nil || x != int16(j) || y != int16(i%1000) {
					t.Fatalf("request %d: %d,%d %v", s, x, y, err)
				}
			} else if xe := (*Error)(nil); !errors.As(err, &xe) || xe.Seq != s {
				t.Fatalf("request %d: %v", s, err)
			}
		}
	}
	if last := seqs[len(seqs)-1]; last <= 1<<16 {
		t.Fatalf("only %d requests", last)
	}
}

// TestTCP connects through TCP (port 6000+N) for a display with a host.
func TestTCP(t *testing.T) {
	x := xvfb.StartArgs(t, "-listen", "tcp")
	c, err := Dial(context.Background(), "127.0.0.1"+x.Display)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	seq, err := c.GetGeometry(c.Root)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Wait(seq)
	if g := ParseGeometry(&r); err != nil || g.Width != 1920 || g.Height != 1080 {
		t.Fatalf("GetGeometry over TCP: %+v %v", g, err)
	}
}
