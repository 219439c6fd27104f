package x11

import (
	"net"
	"reflect"
	"unsafe"

	"github.com/jezek/xgb"
)

// xgbConnField is the index of xgb.Conn's unexported net.Conn field
// ("conn" in github.com/jezek/xgb v1.1.1), or -1 if it has none.
var xgbConnField = func() int {
	f, ok := reflect.TypeOf(xgb.Conn{}).FieldByName("conn")
	if !ok || f.Type != reflect.TypeOf((*net.Conn)(nil)).Elem() || len(f.Index) != 1 {
		return -1
	}
	return f.Index[0]
}()

// closeNow closes c without waiting for the X server. xgb's Close only
// asks xgb's writer to finish, and the writer first waits for the reply
// to a round trip, so with a server that stopped answering (hung, or
// stopped with SIGSTOP, as the chaos run does) the connection, its
// goroutines and a stream's Close waited as long as the server did,
// forever for a server that never comes back. Closing the socket as well
// makes xgb's reader fail at once, which ends everything xgb runs.
func closeNow(c *xgb.Conn) {
	c.Close()
	if xgbConnField < 0 {
		return
	}
	f := reflect.ValueOf(c).Elem().Field(xgbConnField)
	if nc, _ := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(net.Conn); nc != nil {
		nc.Close()
	}
}
