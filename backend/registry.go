package backend

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

var registry struct {
	mu       sync.RWMutex
	backends map[string]Backend
}

// Register makes b available under b.Name(). It panics if the name is
// empty, contains a colon, or is already taken: those are programming
// errors in a backend package, found the first time it is imported.
func Register(b Backend) {
	name := b.Name()
	if name == "" || strings.Contains(name, ":") {
		panic(fmt.Sprintf("backend: invalid backend name %q", name))
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.backends == nil {
		registry.backends = make(map[string]Backend)
	}
	if _, dup := registry.backends[name]; dup {
		panic("backend: Register called twice for " + name)
	}
	registry.backends[name] = b
}

// Lookup returns the backend registered under name.
func Lookup(name string) (Backend, bool) {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	b, ok := registry.backends[name]
	return b, ok
}

// All returns the registered backends sorted by name.
func All() []Backend {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	out := make([]Backend, 0, len(registry.backends))
	for _, b := range registry.backends {
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b Backend) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// SplitID splits a device ID into its scheme and address:
// "v4l2:/dev/video0" gives "v4l2", "/dev/video0".
func SplitID(id string) (scheme, addr string, err error) {
	scheme, addr, ok := strings.Cut(id, ":")
	if !ok || scheme == "" {
		return "", "", fmt.Errorf("device id %q has no backend scheme (want e.g. \"testsrc:camera\"): %w", id, ErrNotFound)
	}
	return scheme, addr, nil
}

// Resolve finds the backend for a device ID.
func Resolve(id string) (Backend, string, error) {
	scheme, addr, err := SplitID(id)
	if err != nil {
		return nil, "", err
	}
	b, ok := Lookup(scheme)
	if !ok {
		return nil, "", fmt.Errorf("device %q: no backend %q is registered (import its package): %w", id, scheme, ErrNotFound)
	}
	return b, addr, nil
}
