// Package x11wire is a minimal X11 client connection for the hot path of
// screen capture: it speaks just enough of the core protocol, MIT-SHM and
// XFIXES to fetch images into memory it was given, with no allocation and
// no goroutine per request.
//
// A Conn is set up once (Dial: Unix socket /tmp/.X11-unix/XN, the
// abstract socket of the same name, or TCP port 6000+N for a display with
// a host; MIT-MAGIC-COOKIE-1 from $XAUTHORITY or ~/.Xauthority, or no
// authorization). Each request method writes a preencoded request and
// returns its sequence number; Wait reads the reply of that sequence
// number into fixed buffers, so several requests can be in flight. Replies
// must be waited for in the order the requests were sent; errors for
// requests without a reply and events are consumed on the way (events go
// to Conn.OnEvent).
//
// A Conn is not safe for concurrent use, except Interrupt, Bind's
// cancellation and Close.
package x11wire
