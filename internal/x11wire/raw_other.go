//go:build !linux

package x11wire

import "net"

type rawIO struct{}

func (r *rawIO) init(net.Conn) {}

func (c *Conn) rawRead(b []byte) (int, error)  { return c.nc.Read(b) }
func (c *Conn) rawWrite(b []byte) (int, error) { return c.nc.Write(b) }
