package x11wire

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// Xauthority address families.
const (
	familyInternet  = 0
	familyInternet6 = 6
	familyLocal     = 256
	familyWild      = 65535
)

// cookieName is the only authorization protocol this package speaks.
const cookieName = "MIT-MAGIC-COOKIE-1"

// authEntry is one record of an Xauthority file.
type authEntry struct {
	family  uint16
	address string
	number  string
	name    string
	data    []byte
}

// authFile returns the Xauthority file to read: $XAUTHORITY, else
// $HOME/.Xauthority ("" when neither is known).
func authFile() string {
	if f := os.Getenv("XAUTHORITY"); f != "" {
		return f
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".Xauthority")
	}
	return ""
}

// readAuth parses an Xauthority file: records of a big-endian family
// followed by four length-prefixed fields.
func readAuth(r io.Reader) ([]authEntry, error) {
	br := bufio.NewReader(r)
	var out []authEntry
	field := func() ([]byte, error) {
		var n [2]byte
		if _, err := io.ReadFull(br, n[:]); err != nil {
			return nil, err
		}
		b := make([]byte, binary.BigEndian.Uint16(n[:]))
		_, err := io.ReadFull(br, b)
		return b, err
	}
	for {
		var fam [2]byte
		if _, err := io.ReadFull(br, fam[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		var fs [4][]byte
		for i := range fs {
			b, err := field()
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return out, err
			}
			fs[i] = b
		}
		out = append(out, authEntry{
			family:  binary.BigEndian.Uint16(fam[:]),
			address: string(fs[0]),
			number:  string(fs[1]),
			name:    string(fs[2]),
			data:    fs[3],
		})
	}
}

// authKey is an address an Xauthority record may be filed under.
type authKey struct {
	family  uint16
	address string
}

// pickAuth returns the MIT-MAGIC-COOKIE-1 of display filed under one of
// keys (or under the wildcard family), or nil when there is none.
func pickAuth(entries []authEntry, keys []authKey, display int) []byte {
	num := strconv.Itoa(display)
	for _, e := range entries {
		if e.name != cookieName || (e.number != "" && e.number != num) {
			continue
		}
		if e.family == familyWild {
			return e.data
		}
		for _, k := range keys {
			if e.family == k.family && e.address == k.address {
				return e.data
			}
		}
	}
	return nil
}

// cookie finds the cookie for a display in the user's Xauthority file
// (nil when there is no file or no matching record: the connection is
// then attempted without authorization). ip is the server's address for a
// TCP connection, nil for a local one.
func cookie(ip net.IP, display int) []byte {
	f := authFile()
	if f == "" {
		return nil
	}
	fh, err := os.Open(f)
	if err != nil {
		return nil
	}
	defer fh.Close()
	entries, _ := readAuth(fh)
	var keys []authKey
	if ip == nil || ip.IsLoopback() {
		if h, err := os.Hostname(); err == nil {
			keys = append(keys, authKey{familyLocal, h})
		}
	}
	if ip4 := ip.To4(); ip4 != nil {
		keys = append(keys, authKey{familyInternet, string(ip4)})
	} else if ip != nil {
		keys = append(keys, authKey{familyInternet6, string(ip.To16())})
	}
	return pickAuth(entries, keys, display)
}
