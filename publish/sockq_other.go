//go:build !linux

package publish

// sendBacklog cannot be read outside Linux; the time writes take decides.
func sendBacklog() (int, bool) { return 0, false }
