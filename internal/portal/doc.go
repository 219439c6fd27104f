// Package portal is a client of the xdg-desktop-portal ScreenCast interface
// (org.freedesktop.portal.ScreenCast) over the D-Bus session bus: it asks
// the user (or, with a restore token, the portal alone) for a screen or a
// window and returns the PipeWire nodes and the PipeWire remote to read
// them from. It knows nothing of PipeWire itself.
//
// The call sequence is CreateSession, SelectSources, Start (each answered
// by a Request's Response signal), then OpenPipeWireRemote (a file
// descriptor). The Response signal can arrive before the method call that
// created the Request has returned, so the client subscribes to the
// Request's predicted object path before each call.
// The package is Linux-only.
package portal
