package devices

import (
	"context"
	"time"
)

// Op is what happened to a device.
type Op uint8

// Watcher operations.
const (
	Added Op = iota + 1
	Removed
)

func (o Op) String() string {
	switch o {
	case Added:
		return "added"
	case Removed:
		return "removed"
	}
	return "unknown"
}

// Event reports a device that appeared or disappeared.
type Event struct {
	Op     Op
	Device Device
}

// DefaultInterval is how often a Watcher enumerates unless WithInterval is
// given.
const DefaultInterval = time.Second

// Watcher reports devices appearing and disappearing, like fsnotify
// reports files: receive from Events until it is closed. Enumeration errors
// go to Errors, which holds the latest one and drops the rest while nobody
// receives.
// Both channels close when the context given to NewWatcher is done or Close
// is called.
type Watcher struct {
	Events <-chan Event
	Errors <-chan error

	cancel context.CancelFunc
	done   chan struct{}
}

// WatchOption configures a Watcher.
type WatchOption func(*watchConfig)

type watchConfig struct {
	interval time.Duration
	kinds    []Kind
}

// WithInterval sets how often the Watcher enumerates.
func WithInterval(d time.Duration) WatchOption { return func(c *watchConfig) { c.interval = d } }

// WithKinds restricts the Watcher to devices of the given kinds.
func WithKinds(k ...Kind) WatchOption { return func(c *watchConfig) { c.kinds = k } }

// NewWatcher takes a first inventory (not reported) and then reports every
// change found by enumerating all registered backends periodically. List
// after NewWatcher returns sees everything the Watcher will not report as
// added.
func NewWatcher(ctx context.Context, opts ...WatchOption) *Watcher {
	c := watchConfig{interval: DefaultInterval}
	for _, o := range opts {
		o(&c)
	}
	ctx, cancel := context.WithCancel(ctx)
	events := make(chan Event)
	errs := make(chan error, 1)
	w := &Watcher{Events: events, Errors: errs, cancel: cancel, done: make(chan struct{})}
	known := inventory(ctx, c.kinds, nil)
	go w.loop(ctx, c, known, events, errs)
	return w
}

// Close stops the Watcher and waits until its channels are closed.
func (w *Watcher) Close() error {
	w.cancel()
	<-w.done
	return nil
}

func inventory(ctx context.Context, kinds []Kind, report func(error)) map[string]Device {
	ds, err := List(ctx, kinds...)
	if err != nil && report != nil {
		report(err)
	}
	m := make(map[string]Device, len(ds))
	for _, d := range ds {
		m[d.ID] = d
	}
	return m
}

func (w *Watcher) loop(ctx context.Context, c watchConfig, known map[string]Device, events chan<- Event, errs chan<- error) {
	defer close(w.done)
	defer close(errs)
	defer close(events)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	send := func(e Event) bool {
		select {
		case events <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := inventory(ctx, c.kinds, func(err error) {
			select {
			case errs <- err:
			default: // nobody is reading errors: keep watching
			}
		})
		if ctx.Err() != nil {
			return
		}
		for id, d := range now {
			if _, ok := known[id]; !ok && !send(Event{Op: Added, Device: d}) {
				return
			}
		}
		for id, d := range known {
			if _, ok := now[id]; !ok && !send(Event{Op: Removed, Device: d}) {
				return
			}
		}
		known = now
	}
}
