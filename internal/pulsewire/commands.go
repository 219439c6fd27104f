package pulsewire

import (
	"fmt"
	"io"
	"time"
)

// ServerInfo is the reply to GET_SERVER_INFO.
type ServerInfo struct {
	Package, Version, User, Host string
	SampleSpec                   SampleSpec
	DefaultSink, DefaultSource   string
}

// ServerInfo asks for the server's name and defaults.
func (c *Conn) ServerInfo() (ServerInfo, error) {
	r, err := c.Request(cmdGetServerInfo, nil)
	if err != nil {
		return ServerInfo{}, err
	}
	return parseServerInfo(r)
}

// parseServerInfo decodes a GET_SERVER_INFO reply.
func parseServerInfo(r *Reader) (ServerInfo, error) {
	si := ServerInfo{Package: r.Text(), Version: r.Text(), User: r.Text(), Host: r.Text(),
		SampleSpec: r.SampleSpec(), DefaultSink: r.Text(), DefaultSource: r.Text()}
	return si, r.Err()
}

// SourceInfo is one source of GET_SOURCE_INFO_LIST.
type SourceInfo struct {
	Index       uint32
	Name        string
	Description string
	SampleSpec  SampleSpec
	ChannelMap  []byte
	// MonitorOf is the name of the sink this source monitors ("" for an
	// input).
	MonitorOf string
	Driver    string
	Props     map[string]string
}

// Sources lists the server's sources.
func (c *Conn) Sources() ([]SourceInfo, error) {
	r, err := c.Request(cmdGetSourceInfoList, nil)
	if err != nil {
		return nil, err
	}
	return parseSources(r, c.ver)
}

// parseSources decodes a GET_SOURCE_INFO_LIST reply shaped for protocol
// version ver: every entry has the fields of that version, so all of them
// are read to find the next.
func parseSources(r *Reader, ver uint32) ([]SourceInfo, error) {
	var out []SourceInfo
	for r.Len() > 0 && r.Err() == nil {
		var s SourceInfo
		s.Index = r.U32()
		s.Name = r.Text()
		s.Description = r.Text()
		s.SampleSpec = r.SampleSpec()
		s.ChannelMap = r.ChannelMap()
		r.U32()     // owner module
		r.CVolume() // volume
		r.Bool()    // mute
		r.U32()     // monitor of sink (index)
		s.MonitorOf = r.Text()
		r.Usec() // latency
		s.Driver = r.Text()
		r.U32() // flags
		s.Props = r.PropList()
		r.Usec() // configured latency
		if ver >= verAutoSuspend {
			r.Volume() // base volume
			r.U32()    // state
			r.U32()    // volume steps
			r.U32()    // card
		}
		if ver >= verPorts {
			ports := r.U32()
			for i := uint32(0); i < ports && r.Err() == nil; i++ {
				r.Text() // name
				r.Text() // description
				r.U32()  // priority
				if ver >= verPortAvailable {
					r.U32() // available
				}
				if ver >= verPortGroup {
					r.Text() // availability group
					r.U32()  // type
				}
			}
			r.Text() // active port
		}
		if ver >= verFormats {
			n := r.U8()
			for i := uint8(0); i < n && r.Err() == nil; i++ {
				r.FormatInfo()
			}
		}
		out = append(out, s)
	}
	return out, r.Err()
}

// RecordStream is what the server made of a record stream request.
type RecordStream struct {
	Channel      uint32 // the stream's index: its data packets' channel
	SourceOutput uint32
	MaxLength    uint32
	FragSize     uint32 // bytes per data packet the server aims for
	SampleSpec   SampleSpec
	Source       string // the source it records from
	Suspended    bool
	Latency      time.Duration // the source's latency
}

// RecordConfig asks for a record stream.
type RecordConfig struct {
	SampleSpec SampleSpec
	ChannelMap []byte
	// Source is the source's name; "" is the default source.
	// "@DEFAULT_MONITOR@" is the monitor of the default sink on
	// PulseAudio, but the default source on PipeWire 0.3.65: name the
	// monitor instead.
	Source    string
	MaxLength uint32 // bytes the server queues for a client that does not read; 0: the server's default
	FragSize  uint32 // bytes per packet (and, with AdjustLatency, the latency asked of the source)
	// AdjustLatency makes the source's latency follow FragSize (parec's
	// --latency-msec does the same).
	AdjustLatency bool
	// NoMove keeps the stream on its source: when the source goes away the
	// server kills the stream instead of moving it to the default source.
	NoMove bool
	Props  []string // key, value pairs of the stream's properties
}

// CreateRecordStream starts a record stream. Its data is then read with
// ReadData; only one record stream per Conn is supported.
func (c *Conn) CreateRecordStream(rc RecordConfig) (RecordStream, error) {
	if c.stream != commandChannel {
		return RecordStream{}, fmt.Errorf("pulse: the connection already has a record stream")
	}
	maxLength := rc.MaxLength
	if maxLength == 0 {
		maxLength = InvalidIndex
	}
	r, err := c.Request(cmdCreateRecordStream, func(w *Builder) {
		w.SampleSpec(rc.SampleSpec)
		w.ChannelMap(rc.ChannelMap)
		w.U32(InvalidIndex)
		w.String(rc.Source)
		w.U32(maxLength)
		w.Bool(false) // corked
		w.U32(rc.FragSize)
		for range 5 { // no_remap no_remix fix_format fix_rate fix_channels
			w.Bool(false)
		}
		w.Bool(rc.NoMove)
		w.Bool(false) // variable_rate
		w.Bool(false) // peak_detect
		w.Bool(rc.AdjustLatency)
		w.PropList(rc.Props...)
		w.U32(InvalidIndex) // direct_on_input
		if c.ver >= verEarlyRequests {
			w.Bool(false) // early_requests
		}
		if c.ver >= verAutoSuspend {
			w.Bool(false) // dont_inhibit_auto_suspend
			w.Bool(false) // fail_on_suspend
		}
		if c.ver >= verFormats {
			w.U8(0) // no formats: PCM in SampleSpec
			// The volume is not set (volume_set false); sent as unity
			// on every channel, which every server accepts.
			w.CVolumeNorm(len(rc.ChannelMap))
			w.Bool(false) // muted
			w.Bool(false) // volume_set
			w.Bool(false) // muted_set
			w.Bool(false) // relative_volume
			w.Bool(false) // passthrough
		}
	})
	if err != nil {
		return RecordStream{}, err
	}
	rs, err := parseRecordStream(r)
	if err != nil {
		return RecordStream{}, err
	}
	c.stream = rs.Channel
	return rs, nil
}

// parseRecordStream decodes a CREATE_RECORD_STREAM reply.
func parseRecordStream(r *Reader) (RecordStream, error) {
	var rs RecordStream
	rs.Channel = r.U32()
	rs.SourceOutput = r.U32()
	rs.MaxLength = r.U32()
	rs.FragSize = r.U32()
	rs.SampleSpec = r.SampleSpec()
	r.ChannelMap()
	r.U32() // source index
	rs.Source = r.Text()
	rs.Suspended = r.Bool()
	rs.Latency = time.Duration(r.Usec()) * time.Microsecond
	if err := r.Err(); err != nil {
		return RecordStream{}, err
	}
	return rs, nil
}

// ReadData reads up to len(p) bytes of the record stream's data, waiting
// for a packet if none is being read. Command packets met on the way are
// handled: the server killing the stream returns ErrKilled; other events
// are skipped. It returns at most the rest of the current packet, so
// Packet tells whether the read ended one.
func (c *Conn) ReadData(p []byte) (int, error) {
	for c.left == 0 {
		if c.killed {
			return 0, ErrKilled
		}
		r, n, err := c.next(true)
		if err != nil {
			return 0, err
		}
		if r == nil {
			c.left = n
			continue
		}
		if r.U32() == cmdRecordStreamKilled {
			r.U32() // tag
			c.killed = r.U32() == c.stream
		}
	}
	n := min(len(p), c.left)
	if _, err := io.ReadFull(c.br, p[:n]); err != nil {
		return 0, err
	}
	c.left -= n
	return n, nil
}

// Buffered is how many bytes were received and not read yet (not counting
// those still in the kernel's socket buffer).
func (c *Conn) Buffered() int { return c.br.Buffered() }

// Available is how many received bytes wait for ReadData or the next
// command, framing included: Buffered and what is still in the kernel's
// socket buffer (where that is known; see rawconn.Conn.Pending).
func (c *Conn) Available() int { return c.br.Buffered() + c.rw.Pending() }

// Subscription masks and event fields (pa_subscription_mask_t,
// pa_subscription_event_type_t).
const (
	SubscribeSource = 0x0002
	SubscribeServer = 0x0080

	FacilityMask   = 0x000F
	FacilitySource = 0x0001
	EventTypeMask  = 0x0030
	EventNew       = 0x0000
	EventChange    = 0x0010
	EventRemove    = 0x0020
)

// Subscribe asks the server for events about the facilities in mask; read
// them with ReadEvent. A connection that subscribes should not record.
func (c *Conn) Subscribe(mask uint32) error {
	_, err := c.Request(cmdSubscribe, func(w *Builder) { w.U32(mask) })
	return err
}

// Event is a subscription event: what changed (Kind&FacilityMask), how
// (Kind&EventTypeMask) and the index of the object.
type Event struct {
	Kind  uint32
	Index uint32
}

// ReadEvent waits for the next subscription event.
func (c *Conn) ReadEvent() (Event, error) {
	for {
		r, _, err := c.next(false)
		if err != nil {
			return Event{}, err
		}
		if r.U32() != cmdSubscribeEvent {
			continue
		}
		r.U32() // tag
		e := Event{Kind: r.U32(), Index: r.U32()}
		if err := r.Err(); err != nil {
			return Event{}, err
		}
		return e, nil
	}
}
