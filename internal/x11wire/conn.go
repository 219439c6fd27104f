package x11wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miniav-go/miniav/internal/rawconn"
)

var le = binary.LittleEndian

// Errors returned by Dial.
var (
	// ErrBadDisplay means the display name could not be parsed.
	ErrBadDisplay = errors.New("x11wire: bad display name")
	// ErrRefused means the server refused the connection setup (usually
	// missing or wrong authorization).
	ErrRefused = errors.New("x11wire: connection refused by the X server")
)

// ErrProtocol is wrapped by the error of a connection whose server sent
// something this package cannot take, such as a reply longer than
// maxReply: the connection is broken from then on.
var ErrProtocol = errors.New("x11wire: protocol error")

// maxReply bounds the bytes after a reply's header (and a GenericEvent's)
// this package accepts: 1 GiB, more than an image of a 16384x16384 screen.
// The length field could claim 16 GiB.
const maxReply = 1 << 30

// ErrNoReply is returned by Wait for a sequence number that was not
// registered as expecting a reply, or whose reply the server skipped.
var ErrNoReply = errors.New("x11wire: no reply for this request")

// pendN bounds the requests with a reply that may be in flight at once.
const pendN = 16

// pending is the state of one request that expects a reply.
type pending struct {
	seq  uint64
	dst  []byte // where the reply's data after the 32-byte header goes
	done bool
	hdr  [32]byte
	n    int // bytes of data after the header (may exceed len(dst))
	err  error
}

// Reply is a reply: its 32-byte header and the data stored into the
// buffer given with the request (Len may exceed len(Data) when that
// buffer was too small; the rest was discarded).
type Reply struct {
	Header [32]byte
	Data   []byte
	Len    int
}

// Conn is an X11 connection.
type Conn struct {
	nc  net.Conn
	raw *rawconn.Conn // reads and writes nc without waking the runtime's monitor thread

	// Root is the root window of the display's screen, Width and Height
	// its size in pixels, RootDepth its depth.
	Root          uint32
	Width, Height uint16
	RootDepth     byte
	// ImageByteOrder is 0 for LSB first, 1 for MSB first.
	ImageByteOrder byte

	// OnEvent, when set, is called with each event read while waiting
	// for a reply (the array is reused afterwards).
	OnEvent func(ev *[32]byte)

	idBase, idMask, idNext uint32

	sent uint64 // sequence number of the last request written
	req  [64]byte

	// reader state, kept across interrupted reads
	hdr      [32]byte
	hdrN     int
	cur      *pending // the request whose reply data is being read
	extra    int      // data bytes of the current packet still to read
	extraOff int
	discard  [4096]byte

	pend     [pendN]pending
	asyncErr error  // first error of a request nobody waits for
	lastSeq  uint64 // sequence number of the last reply or error read

	mu      sync.Mutex // guards ctx and stop against Close
	ctx     context.Context
	stop    func() bool
	closed  bool
	readErr error // sticky connection failure
}

// display is a parsed display name.
type display struct {
	host   string // "" for a local connection
	num    int
	screen int
}

func parseDisplay(name string) (display, error) {
	var d display
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		// protocol/host:N (tcp/..., unix/...)
		proto := name[:i]
		name = name[i+1:]
		if proto != "tcp" && proto != "inet" && proto != "inet6" && proto != "unix" && proto != "local" {
			return d, fmt.Errorf("%w %q: unknown protocol %q", ErrBadDisplay, name, proto)
		}
		if proto == "unix" || proto == "local" {
			name = strings.TrimPrefix(name, "unix")
		}
	}
	colon := strings.LastIndexByte(name, ':')
	if colon < 0 {
		return d, fmt.Errorf("%w %q: want [host]:N[.S]", ErrBadDisplay, name)
	}
	d.host = name[:colon]
	if d.host == "unix" {
		d.host = ""
	}
	d.host = strings.TrimSuffix(strings.TrimPrefix(d.host, "["), "]")
	num, scr, hasScr := strings.Cut(name[colon+1:], ".")
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return d, fmt.Errorf("%w %q: display number %q", ErrBadDisplay, name, num)
	}
	d.num = n
	if hasScr {
		if d.screen, err = strconv.Atoi(scr); err != nil || d.screen < 0 {
			return d, fmt.Errorf("%w %q: screen number %q", ErrBadDisplay, name, scr)
		}
	}
	return d, nil
}

// Dial connects to the X display name (as in $DISPLAY: ":1", "unix:1",
// "host:0.0", "tcp/host:1") and reads the connection setup.
func Dial(ctx context.Context, name string) (*Conn, error) {
	return dialWrap(ctx, name, nil)
}

// dialWrap is Dial, with the socket wrapped by wrap when it is not nil (the
// corpus recorder of the fuzz tests keeps what the server sent).
func dialWrap(ctx context.Context, name string, wrap func(net.Conn) net.Conn) (*Conn, error) {
	d, err := parseDisplay(name)
	if err != nil {
		return nil, err
	}
	var dl net.Dialer
	var nc net.Conn
	var ip net.IP
	if d.host == "" {
		path := "/tmp/.X11-unix/X" + strconv.Itoa(d.num)
		nc, err = dl.DialContext(ctx, "unix", path)
		if err != nil {
			// Linux servers also listen on an abstract socket.
			if nc2, err2 := dl.DialContext(ctx, "unix", "@"+path); err2 == nil {
				nc, err = nc2, nil
			}
		}
	} else {
		nc, err = dl.DialContext(ctx, "tcp", net.JoinHostPort(d.host, strconv.Itoa(6000+d.num)))
		if err == nil {
			ip = nc.RemoteAddr().(*net.TCPAddr).IP
		}
	}
	if err != nil {
		return nil, fmt.Errorf("x11wire: display %s: %w", name, err)
	}
	if wrap != nil {
		nc = wrap(nc)
	}
	c := &Conn{nc: nc, raw: rawconn.Wrap(nc)}
	if err := c.setup(ctx, name, d, cookie(ip, d.num)); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

func pad4(n int) int { return (n + 3) &^ 3 }

// setup sends the connection setup and parses the server's answer.
func (c *Conn) setup(ctx context.Context, name string, d display, auth []byte) error {
	var authName string
	if auth != nil {
		authName = cookieName
	}
	b := make([]byte, 12+pad4(len(authName))+pad4(len(auth)))
	b[0] = 'l' // little-endian requests and replies
	le.PutUint16(b[2:], 11)
	le.PutUint16(b[6:], uint16(len(authName)))
	le.PutUint16(b[8:], uint16(len(auth)))
	copy(b[12:], authName)
	copy(b[12+pad4(len(authName)):], auth)
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	c.nc.SetDeadline(deadline)
	defer c.nc.SetDeadline(time.Time{})
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("x11wire: display %s: setup: %w", name, err)
	}
	var h [8]byte
	if _, err := io.ReadFull(c.nc, h[:]); err != nil {
		return fmt.Errorf("x11wire: display %s: setup: %w", name, err)
	}
	rest := make([]byte, int(le.Uint16(h[6:]))*4)
	if _, err := io.ReadFull(c.nc, rest); err != nil {
		return fmt.Errorf("x11wire: display %s: setup: %w", name, err)
	}
	return c.parseSetup(name, d, h, rest)
}

// parseSetup decodes the server's answer to the connection setup: its
// 8-byte header h and the rest.
func (c *Conn) parseSetup(name string, d display, h [8]byte, rest []byte) error {
	switch h[0] {
	case 0: // failed
		reason := string(rest[:min(int(h[1]), len(rest))])
		return fmt.Errorf("%w: display %s: %s", ErrRefused, name, strings.TrimSpace(reason))
	case 2: // authenticate
		return fmt.Errorf("%w: display %s: %s", ErrRefused, name, strings.TrimSpace(strings.TrimRight(string(rest), "\x00")))
	case 1:
	default:
		return fmt.Errorf("x11wire: display %s: setup status %d", name, h[0])
	}
	if len(rest) < 32 {
		return fmt.Errorf("x11wire: display %s: setup reply too short", name)
	}
	c.idBase, c.idMask = le.Uint32(rest[4:]), le.Uint32(rest[8:])
	vendorLen := int(le.Uint16(rest[16:]))
	nScreens, nFormats := int(rest[20]), int(rest[21])
	c.ImageByteOrder = rest[22]
	off := 32 + pad4(vendorLen) + 8*nFormats
	for i := range nScreens {
		if off+40 > len(rest) {
			return fmt.Errorf("x11wire: display %s: setup reply truncated", name)
		}
		s := rest[off:]
		if i == d.screen {
			c.Root = le.Uint32(s[0:])
			c.Width, c.Height = le.Uint16(s[20:]), le.Uint16(s[22:])
			c.RootDepth = s[38]
			return nil
		}
		// skip the screen's depths and their visuals
		nDepths := int(s[39])
		off += 40
		for range nDepths {
			if off+8 > len(rest) {
				return fmt.Errorf("x11wire: display %s: setup reply truncated", name)
			}
			off += 8 + 24*int(le.Uint16(rest[off+2:]))
		}
	}
	return fmt.Errorf("x11wire: display %s: no screen %d (%d screens): %w", name, d.screen, nScreens, ErrBadDisplay)
}

// NewID returns a fresh resource id of this connection.
func (c *Conn) NewID() (uint32, error) {
	low := c.idMask & -c.idMask
	if low == 0 {
		return 0, errors.New("x11wire: no resource ids")
	}
	id := c.idNext
	if id > c.idMask/low {
		return 0, errors.New("x11wire: resource ids exhausted")
	}
	c.idNext++
	return c.idBase | id*low, nil
}

// Close closes the connection; a Wait in progress returns an error.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	c.closed = true
	c.mu.Unlock()
	return c.nc.Close()
}

// Bind makes Wait return ctx.Err() once ctx is done. Binding the same
// context again costs nothing; binding another one releases the previous.
func (c *Conn) Bind(ctx context.Context) {
	if t := reflect.TypeOf(ctx); t != nil && t.Comparable() && ctx == c.ctx {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stop != nil {
		c.stop()
		c.stop = nil
	}
	c.ctx = ctx
	if ctx.Done() != nil && !c.closed {
		c.stop = context.AfterFunc(ctx, c.Interrupt)
	}
}

// aLongTimeAgo is a deadline in the past.
var aLongTimeAgo = time.Unix(1, 0)

// Interrupt makes a Wait in progress return (with the bound context's
// error when it is done; otherwise the Wait goes on).
func (c *Conn) Interrupt() { c.nc.SetReadDeadline(aLongTimeAgo) }

// send writes the n bytes of c.req as one request and registers dst for
// its reply when hasReply.
func (c *Conn) send(n int, hasReply bool, dst []byte) (uint64, error) {
	if c.readErr != nil {
		return 0, c.readErr
	}
	seq := c.sent + 1
	if hasReply {
		p := &c.pend[seq%pendN]
		if p.seq != 0 && !p.done {
			return 0, fmt.Errorf("x11wire: more than %d requests with replies in flight", pendN)
		}
		*p = pending{seq: seq, dst: dst}
	}
	if _, err := c.raw.Write(c.req[:n]); err != nil {
		c.readErr = fmt.Errorf("x11wire: write: %w", err)
		return 0, c.readErr
	}
	c.sent = seq
	return seq, nil
}

// full expands a 16-bit sequence number from the wire.
func (c *Conn) full(s16 uint16) uint64 {
	return c.sent - uint64(uint16(c.sent)-s16)
}

// Wait reads until the reply (or error) of request seq arrived and
// returns it. Reply.Data aliases the buffer given with the request.
func (c *Conn) Wait(seq uint64) (Reply, error) {
	p := &c.pend[seq%pendN]
	if p.seq != seq {
		return Reply{}, ErrNoReply
	}
	for !p.done {
		if err := c.readPacket(); err != nil {
			return Reply{}, err
		}
		if !p.done && c.lastSeq > seq {
			// The server answered a later request first: none is coming.
			p.done, p.err = true, ErrNoReply
		}
	}
	p.seq = 0 // the slot is free again
	if p.err != nil {
		return Reply{}, p.err
	}
	return Reply{Header: p.hdr, Data: p.dst[:min(p.n, len(p.dst))], Len: p.n}, nil
}

// AsyncError returns and clears the first error the server reported for
// a request without a reply.
func (c *Conn) AsyncError() error {
	err := c.asyncErr
	c.asyncErr = nil
	return err
}

// read fills b, handling interruptions; it returns a sticky error when
// the connection failed.
func (c *Conn) read(b []byte) (int, error) {
	for {
		n, err := c.raw.Read(b)
		if err == nil || n > 0 {
			return n, nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.mu.Lock()
			ctx, closed := c.ctx, c.closed
			c.mu.Unlock()
			if ctx != nil && ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if !closed {
				// An interruption for a context no longer bound.
				c.nc.SetReadDeadline(time.Time{})
				continue
			}
		}
		if errors.Is(err, io.EOF) {
			c.readErr = fmt.Errorf("x11wire: connection closed by the X server: %w", io.EOF)
		} else {
			c.readErr = fmt.Errorf("x11wire: read: %w", err)
		}
		return 0, c.readErr
	}
}

// readPacket reads one reply, error or event (resuming a packet an
// interruption cut short).
func (c *Conn) readPacket() error {
	if c.readErr != nil {
		return c.readErr
	}
	for c.hdrN < 32 {
		n, err := c.read(c.hdr[c.hdrN:])
		if err != nil {
			return err
		}
		c.hdrN += n
		if c.hdrN == 32 {
			if err := c.startPacket(); err != nil {
				c.readErr = err
				return err
			}
		}
	}
	for c.extra > 0 {
		var b []byte
		if p := c.cur; p != nil && c.extraOff < len(p.dst) {
			b = p.dst[c.extraOff:min(len(p.dst), c.extraOff+c.extra)]
		} else {
			b = c.discard[:min(len(c.discard), c.extra)]
		}
		n, err := c.read(b)
		if err != nil {
			return err
		}
		c.extra -= n
		c.extraOff += n
	}
	c.finishPacket()
	return nil
}

// startPacket decodes a complete header.
func (c *Conn) startPacket() error {
	h := &c.hdr
	c.cur, c.extra, c.extraOff = nil, 0, 0
	switch h[0] {
	case 0: // error
		c.lastSeq = c.full(le.Uint16(h[2:]))
	case 1: // reply
		c.lastSeq = c.full(le.Uint16(h[2:]))
		if err := c.extraLen(h); err != nil {
			return err
		}
		if p := &c.pend[c.lastSeq%pendN]; p.seq == c.lastSeq && !p.done {
			c.cur = p
			p.n = c.extra
		}
	case 35: // GenericEvent
		return c.extraLen(h)
	}
	return nil
}

// extraLen sets the bytes that follow header h from its length field.
func (c *Conn) extraLen(h *[32]byte) error {
	words := le.Uint32(h[4:])
	if uint64(words)*4 > maxReply {
		return fmt.Errorf("%w: packet %d of %d bytes (at most %d)", ErrProtocol, h[0], uint64(words)*4, maxReply)
	}
	c.extra = int(words) * 4
	return nil
}

// finishPacket dispatches a packet read to the end.
func (c *Conn) finishPacket() {
	h := &c.hdr
	c.hdrN = 0
	switch h[0] {
	case 0:
		e := &Error{Code: h[1], Seq: c.lastSeq, Bad: le.Uint32(h[4:]), Minor: le.Uint16(h[8:]), Major: h[10]}
		if p := &c.pend[c.lastSeq%pendN]; p.seq == c.lastSeq && !p.done {
			p.done, p.err = true, e
		} else if c.asyncErr == nil {
			c.asyncErr = e
		}
	case 1:
		if p := c.cur; p != nil {
			p.hdr = *h
			p.done = true
		}
		c.cur = nil
	default:
		if c.OnEvent != nil {
			c.OnEvent(h)
		}
	}
}

// Err returns the error that broke the connection, or nil while it works.
func (c *Conn) Err() error { return c.readErr }
