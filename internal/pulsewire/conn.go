// Package pulsewire speaks PulseAudio's native protocol over its socket, in
// pure Go: the handshake, the few commands a capture client needs
// (server info, source list, record streams) and the framing of the data
// packets a record stream receives. PipeWire's pulse server speaks it too.
//
// A Conn is used by one goroutine at a time. Commands are synchronous: a
// request is written and packets are read until its reply; a record
// stream's data is then read packet by packet with Next and ReadData, so
// the reader of the stream is the one goroutine the data wakes.
package pulsewire

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/miniav-go/miniav/internal/rawconn"
)

// Version is the highest protocol version this package speaks (PulseAudio
// 12's). A connection speaks the lower of it and the server's, MinVersion
// at least, and shapes its requests and decodes the replies for that
// version.
//
// It must be 23 or more for PipeWire's pulse server: that server tells a
// client its record stream was killed (RECORD_STREAM_KILLED, when its
// source goes away) only from version 23 on; an older client's stream
// just stops delivering, with no message and no error.
const Version = 32

// MinVersion is the oldest protocol version accepted (PulseAudio 0.9.15's).
const MinVersion = 13

// Protocol versions that add fields this package reads or writes.
const (
	verEarlyRequests = 14 // CREATE_RECORD_STREAM: early_requests
	verAutoSuspend   = 15 // CREATE_RECORD_STREAM: dont_inhibit_auto_suspend, fail_on_suspend; source info: base volume, state, volume steps, card
	verPorts         = 16 // source info: ports and the active port
	verFormats       = 22 // CREATE_RECORD_STREAM: formats, volume and flags; source info: formats
	verStreamKilled  = 23 // PipeWire sends RECORD_STREAM_KILLED from here on
	verPortAvailable = 24 // source info: each port's availability
	verPortGroup     = 34 // source info: each port's availability group and type
)

// Commands (pa_command_t) used here.
const (
	cmdError              = 0
	cmdReply              = 2
	cmdCreateRecordStream = 5
	cmdDeleteRecordStream = 6
	cmdAuth               = 8
	cmdSetClientName      = 9
	cmdGetServerInfo      = 20
	cmdGetSourceInfoList  = 24
	cmdSubscribe          = 35
	cmdRecordStreamKilled = 65
	cmdSubscribeEvent     = 66
)

const (
	headerSize     = 20
	commandChannel = 0xFFFFFFFF
	// InvalidIndex is PA_INVALID_INDEX.
	InvalidIndex = 0xFFFFFFFF
	maxPacket    = 16 << 20 // PulseAudio's own limit on a frame
)

// ServerError is an error reply (pa_error_code_t).
type ServerError struct {
	Command uint32
	Code    uint32
}

// Error codes callers branch on.
const (
	ErrCodeAccess   = 1
	ErrCodeInvalid  = 3
	ErrCodeNoEntity = 5
	ErrCodeKilled   = 12
	ErrCodeNotSupp  = 19
	ErrCodeBusy     = 26
)

var errorNames = [...]string{"ok", "access denied", "unknown command", "invalid argument", "entity exists",
	"no such entity", "connection refused", "protocol error", "timeout", "no authentication key",
	"internal error", "connection terminated", "entity killed", "invalid server",
	"module initialization failed", "bad state", "no data", "incompatible protocol version",
	"too large", "not supported", "unknown error code", "no such extension", "obsolete functionality",
	"missing implementation", "client forked", "input/output error", "device or resource busy"}

func (e *ServerError) Error() string {
	name := "error " + strconv.Itoa(int(e.Code))
	if int(e.Code) < len(errorNames) {
		name = errorNames[e.Code]
	}
	return fmt.Sprintf("pulse: command %d: %s", e.Command, name)
}

// ErrKilled is returned by Next when the server killed the record stream
// (its source went away, or pactl kill-source-output).
var ErrKilled = errors.New("pulse: the server killed the record stream")

// Conn is a connection to a PulseAudio server.
type Conn struct {
	nc     net.Conn
	rw     *rawconn.Conn // nc without waking the runtime's monitor thread per packet
	br     *bufio.Reader
	tag    uint32
	w      Builder
	out    []byte // header + command, reused
	cmd    []byte // the last command packet's payload, reused
	r      Reader
	hdr    [headerSize]byte
	stream uint32 // channel of the record stream, or commandChannel
	ver    uint32 // the protocol version spoken: min(Version, the server's)
	left   int    // unread bytes of the current data packet
	killed bool
}

// Addresses returns the server addresses to try, in order, for server
// (a PulseAudio server string: "unix:/path", "/path", "tcp:host[:port]",
// several separated by spaces); empty means $PULSE_SERVER, else the
// per-user socket in $XDG_RUNTIME_DIR.
func Addresses(server string) []string {
	if server == "" {
		server = os.Getenv("PULSE_SERVER")
	}
	if server == "" {
		dir := os.Getenv("XDG_RUNTIME_DIR")
		if dir == "" {
			dir = "/run/user/" + strconv.Itoa(os.Getuid())
		}
		return []string{"unix:" + filepath.Join(dir, "pulse", "native")}
	}
	var out []string
	for _, s := range strings.Fields(server) {
		if strings.HasPrefix(s, "{") { // "{machine-id}addr": only for that machine; tried anyway
			if i := strings.IndexByte(s, '}'); i >= 0 {
				s = s[i+1:]
			}
		}
		if strings.HasPrefix(s, "/") {
			s = "unix:" + s
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func dialOne(ctx context.Context, addr string) (net.Conn, error) {
	network, a, ok := strings.Cut(addr, ":")
	if !ok {
		network, a = "tcp", addr
	}
	switch network {
	case "unix":
	case "tcp", "tcp4", "tcp6":
		if _, _, err := net.SplitHostPort(a); err != nil {
			a = net.JoinHostPort(strings.Trim(a, "[]"), "4713")
		}
	default:
		return nil, fmt.Errorf("pulse: unsupported server address %q", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, a)
}

// cookie is the authentication cookie: $PULSE_COOKIE, ~/.config/pulse/cookie
// or ~/.pulse-cookie; zeros when there is none (servers with anonymous
// access, and PipeWire, accept any).
func cookie() []byte {
	home, _ := os.UserHomeDir()
	for _, p := range []string{os.Getenv("PULSE_COOKIE"), filepath.Join(home, ".config", "pulse", "cookie"), filepath.Join(home, ".pulse-cookie")} {
		if p == "" {
			continue
		}
		if b, err := os.ReadFile(p); err == nil && len(b) == 256 {
			return b
		}
	}
	return make([]byte, 256)
}

// Dial connects to the first reachable server of Addresses(server),
// authenticates and names the client. ctx bounds the whole handshake.
func Dial(ctx context.Context, server, clientName string) (*Conn, error) {
	var errs []error
	for _, addr := range Addresses(server) {
		nc, err := dialOne(ctx, addr)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rw := rawconn.Wrap(nc)
		c := &Conn{nc: nc, rw: rw, br: bufio.NewReaderSize(rw, 64<<10), stream: commandChannel}
		if err := c.handshake(ctx, clientName); err != nil {
			nc.Close()
			errs = append(errs, fmt.Errorf("%s: %w", addr, err))
			continue
		}
		return c, nil
	}
	if len(errs) == 0 {
		return nil, errors.New("pulse: no server address")
	}
	return nil, errors.Join(errs...)
}

func (c *Conn) handshake(ctx context.Context, clientName string) error {
	stop := c.Bind(ctx)
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		c.nc.SetDeadline(dl)
		defer c.nc.SetDeadline(time.Time{})
	}
	r, err := c.Request(cmdAuth, func(w *Builder) {
		w.U32(Version)
		w.Arbitrary(cookie())
	})
	if err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	// Both sides speak the lower of the two versions from here on.
	v := r.U32() & 0xFFFF
	if err := r.Err(); err != nil {
		return fmt.Errorf("authentication reply: %w", err)
	}
	if v < MinVersion {
		return fmt.Errorf("%w: server speaks protocol %d, want %d or later", ErrProtocol, v, MinVersion)
	}
	c.ver = min(v, Version)
	if _, err := c.Request(cmdSetClientName, func(w *Builder) {
		w.PropList("application.name", clientName)
	}); err != nil {
		return fmt.Errorf("set client name: %w", err)
	}
	return nil
}

// Bind makes reads and writes fail as soon as ctx is done, until the
// returned stop is called.
func (c *Conn) Bind(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, c.Interrupt)
}

// Interrupt makes the read or write in progress, and later ones, fail.
func (c *Conn) Interrupt() { c.nc.SetDeadline(time.Unix(1, 0)) }

// ProtocolVersion is the protocol version the connection speaks: the
// lower of Version and the server's.
func (c *Conn) ProtocolVersion() uint32 { return c.ver }

// Close closes the connection; the server frees its streams.
func (c *Conn) Close() error { return c.nc.Close() }

// Request sends command cmd with the arguments build writes and returns
// the reply's arguments, valid until the next call on c. An error reply is
// a *ServerError. Packets of other commands arriving meanwhile are skipped.
func (c *Conn) Request(cmd uint32, build func(*Builder)) (*Reader, error) {
	c.tag++
	tag := c.tag
	c.w.Reset()
	c.w.U32(cmd)
	c.w.U32(tag)
	if build != nil {
		build(&c.w)
	}
	body := c.w.Bytes()
	c.out = be.AppendUint32(c.out[:0], uint32(len(body)))
	c.out = be.AppendUint32(c.out, commandChannel)
	c.out = append(c.out, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // offset and flags
	c.out = append(c.out, body...)
	if _, err := c.rw.Write(c.out); err != nil {
		return nil, err
	}
	for {
		r, _, err := c.next(false)
		if err != nil {
			return nil, err
		}
		op, t := r.U32(), r.U32()
		if r.Err() != nil {
			return nil, r.Err()
		}
		if t != tag {
			continue // an event or a reply we did not wait for
		}
		switch op {
		case cmdReply:
			return r, nil
		case cmdError:
			return nil, &ServerError{Command: cmd, Code: r.U32()}
		}
		return nil, fmt.Errorf("%w: answer %d to command %d", ErrProtocol, op, cmd)
	}
}

// next reads packets until one for the caller: a command, whose payload r
// then holds, or, when data is true, data of the record stream, n bytes
// still to be read. Other packets are skipped (record data lost to a
// request, or to a connection that only subscribes).
func (c *Conn) next(data bool) (r *Reader, n int, err error) {
	for {
		if _, err := io.ReadFull(c.br, c.hdr[:]); err != nil {
			return nil, 0, err
		}
		// Compared before the conversion: on 32-bit platforms a length
		// of 2 GB or more would turn negative.
		if size := be.Uint32(c.hdr[0:]); size > maxPacket {
			return nil, 0, fmt.Errorf("%w: packet of %d bytes", ErrProtocol, size)
		}
		n = int(be.Uint32(c.hdr[0:]))
		switch be.Uint32(c.hdr[4:]) {
		case commandChannel:
			r, err := c.command(n)
			return r, 0, err
		case c.stream:
			if data {
				return nil, n, nil
			}
		}
		if _, err := c.br.Discard(n); err != nil {
			return nil, 0, err
		}
	}
}

// growChunk is the most a command's buffer grows by before the bytes
// that fill it arrived: a header's length alone never makes c allocate
// more than that beyond what the server actually sent.
const growChunk = 64 << 10

// command reads a command packet's payload of n bytes.
func (c *Conn) command(n int) (*Reader, error) {
	c.cmd = c.cmd[:0]
	for len(c.cmd) < n {
		if cap(c.cmd) == len(c.cmd) {
			grown := make([]byte, len(c.cmd), len(c.cmd)+min(n-len(c.cmd), max(len(c.cmd), growChunk)))
			c.cmd = grown[:copy(grown, c.cmd)]
		}
		m := min(n, cap(c.cmd))
		if _, err := io.ReadFull(c.br, c.cmd[len(c.cmd):m]); err != nil {
			return nil, err
		}
		c.cmd = c.cmd[:m]
	}
	c.r.Reset(c.cmd)
	return &c.r, nil
}
