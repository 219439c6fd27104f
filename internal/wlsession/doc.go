// Package wlsession starts, for tests, the private headless Wayland +
// PipeWire + ScreenCast portal session of scripts/pipewire/session.sh
// (dbus-daemon, headless sway, pipewire, wireplumber,
// xdg-desktop-portal-wlr, xdg-desktop-portal) in a directory of its own,
// and drives it: the output's background colour, clients started in sway,
// killing one component.
// The package is Linux-only.
package wlsession
