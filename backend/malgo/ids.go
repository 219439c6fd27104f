//go:build cgo && !js

package malgo

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/gen2brain/malgo"

	"github.com/miniav-go/miniav/backend"
)

// miniaudio's ma_backend values (miniaudio 0.11.23, bundled with malgo
// v0.11.24). malgo.BackendNull is 13, which is ma_backend_custom.
const (
	maWasapi    malgo.Backend = 0
	maDsound    malgo.Backend = 1
	maWinmm     malgo.Backend = 2
	maCoreaudio malgo.Backend = 3
	maSndio     malgo.Backend = 4
	maAudio4    malgo.Backend = 5
	maOss       malgo.Backend = 6
	maPulse     malgo.Backend = 7
	maAlsa      malgo.Backend = 8
	maJack      malgo.Backend = 9
	maAaudio    malgo.Backend = 10
	maOpensl    malgo.Backend = 11
	maWebaudio  malgo.Backend = 12
	maNull      malgo.Backend = 14
)

var backendNames = [...]string{
	maWasapi: "wasapi", maDsound: "dsound", maWinmm: "winmm", maCoreaudio: "coreaudio", maSndio: "sndio",
	maAudio4: "audio4", maOss: "oss", maPulse: "pulseaudio", maAlsa: "alsa", maJack: "jack",
	maAaudio: "aaudio", maOpensl: "opensl", maWebaudio: "webaudio", 13: "custom", maNull: "null",
}

func backendName(b malgo.Backend) string {
	if int(b) < len(backendNames) {
		return backendNames[b]
	}
	return "backend" + strconv.Itoa(int(b))
}

// defaultOrder is miniaudio's own priority order, without the null backend.
var defaultOrder = []malgo.Backend{maWasapi, maDsound, maWinmm, maCoreaudio, maSndio, maAudio4, maOss, maPulse, maAlsa, maJack, maAaudio, maOpensl, maWebaudio}

// defaultWatchdog is how long a stream may go without audio before it
// ends with ErrDeviceLost.
const defaultWatchdog = 4 * time.Second

// params are the "?key=value" parameters of a device address.
type params struct {
	backends    []malgo.Backend // candidates in order
	server      string
	watchdog    time.Duration
	watchdogSet bool
}

// parseAddr splits an address into its device part and parameters. null
// selects the null backend (the malgo-null scheme).
func parseAddr(addr string, null bool) (string, params, error) {
	p := params{backends: defaultOrder, watchdog: defaultWatchdog}
	if null {
		p.backends = []malgo.Backend{maNull}
	}
	dev, query, _ := strings.Cut(addr, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", p, fmt.Errorf("malgo: bad parameters %q: %w", query, backend.ErrNotSupported)
	}
	for k, vs := range q {
		v := vs[len(vs)-1]
		switch k {
		case "backend":
			if null {
				return "", p, fmt.Errorf("malgo: %s: parameter backend is not allowed: %w", NullName, backend.ErrNotSupported)
			}
			b, ok := lookupBackend(v)
			if !ok {
				return "", p, fmt.Errorf("malgo: unknown miniaudio backend %q: %w", v, backend.ErrNotSupported)
			}
			p.backends = []malgo.Backend{b}
		case "server":
			p.server = v
		case "watchdog":
			d, err := time.ParseDuration(v)
			if v == "0" {
				d, err = 0, nil
			}
			if err != nil || d < 0 {
				return "", p, fmt.Errorf("malgo: bad watchdog %q: %w", v, backend.ErrNotSupported)
			}
			p.watchdog, p.watchdogSet = d, true
		default:
			return "", p, fmt.Errorf("malgo: unknown parameter %q (have backend, server, watchdog): %w", k, backend.ErrNotSupported)
		}
	}
	dev, err = url.PathUnescape(dev)
	if err != nil {
		return "", p, fmt.Errorf("malgo: bad device address %q: %w", addr, backend.ErrNotFound)
	}
	return dev, p, nil
}

func lookupBackend(name string) (malgo.Backend, bool) {
	for i, n := range backendNames {
		if n == name && i != 13 {
			return malgo.Backend(i), true
		}
	}
	return 0, false
}

// rawID turns miniaudio's device ID (a union whose member depends on the
// backend) into the readable, stable form used in device IDs (before
// escapeID).
func rawID(b malgo.Backend, id malgo.DeviceID) string {
	var s string
	switch b {
	case maPulse, maAlsa, maCoreaudio, maSndio, maAudio4, maOss, maWebaudio:
		s = cString(id[:])
	case maWasapi:
		var u []uint16
		for i := 0; i+1 < len(id) && i < 128; i += 2 {
			c := binary.LittleEndian.Uint16(id[i:])
			if c == 0 {
				break
			}
			u = append(u, c)
		}
		s = string(utf16.Decode(u))
	case maWinmm, maJack, maAaudio, maOpensl, maNull:
		s = strconv.Itoa(int(int32(binary.LittleEndian.Uint32(id[:4]))))
	default:
		end := len(id)
		for end > 1 && id[end-1] == 0 {
			end--
		}
		s = hex.EncodeToString(id[:end])
	}
	return s
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// escapeID percent-encodes the characters that would end or escape the
// device part of an address.
func escapeID(s string) string {
	if !strings.ContainsAny(s, "%?") {
		return s
	}
	return strings.NewReplacer("%", "%25", "?", "%3F").Replace(s)
}
