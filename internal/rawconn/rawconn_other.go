//go:build !linux

package rawconn

import "net"

type raw struct{}

func (*raw) init(net.Conn) {}

func (c *Conn) read(b []byte) (int, error)  { return c.nc.Read(b) }
func (c *Conn) write(b []byte) (int, error) { return c.nc.Write(b) }
func (*Conn) pending() int                  { return 0 }
