package devices

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/miniav-go/miniav/backend"
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

// DefaultSettle is how long a Watcher waits after a backend's notification
// before it enumerates, unless WithSettle is given.
const DefaultSettle = 100 * time.Millisecond

// Watcher reports devices appearing and disappearing, like fsnotify
// reports files: receive from Events until it is closed. Enumeration and
// watch errors go to Errors, which holds the latest one and drops older
// ones while nobody receives. A backend that fails to enumerate keeps its
// devices as they were: an error is not a removal.
// Both channels close when the context given to NewWatcher is done or Close
// is called.
//
// A Watcher enumerates every registered backend periodically, and also at
// once (after WithSettle) when a backend that implements backend.Notifier
// reports a change: the v4l2 backend watches /dev with inotify, so a camera
// plugged in is reported within the settle time rather than the interval.
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
	settle   time.Duration
	kinds    []Kind
}

// WithInterval sets how often the Watcher enumerates. Zero or less turns
// periodic enumeration off: the Watcher then reports changes only when a
// backend notifies it (see backend.Notifier), and never sees devices of
// backends that do not.
func WithInterval(d time.Duration) WatchOption { return func(c *watchConfig) { c.interval = d } }

// WithSettle sets how long the Watcher waits after a backend's notification
// before enumerating, so that a burst of changes (a USB camera creates
// several nodes, then udev sets their permissions) costs one enumeration
// and reports the devices once they can be opened.
func WithSettle(d time.Duration) WatchOption { return func(c *watchConfig) { c.settle = d } }

// WithKinds restricts the Watcher to devices of the given kinds.
func WithKinds(k ...Kind) WatchOption { return func(c *watchConfig) { c.kinds = k } }

// NewWatcher starts the backends' notifications, takes a first inventory
// (not reported) and then reports every change it finds. List after
// NewWatcher returns sees everything the Watcher will not report as added.
func NewWatcher(ctx context.Context, opts ...WatchOption) *Watcher {
	c := watchConfig{interval: DefaultInterval, settle: DefaultSettle}
	for _, o := range opts {
		o(&c)
	}
	ctx, cancel := context.WithCancel(ctx)
	events := make(chan Event)
	errs := make(chan error, 1)
	w := &Watcher{Events: events, Errors: errs, cancel: cancel, done: make(chan struct{})}
	// report keeps the latest error; nobody reading must not stop watching.
	// It is called by this goroutine, then only by the loop's, so it is the
	// one sender: after dropping the older error the send cannot block.
	report := func(err error) {
		select {
		case <-errs: // drop the older one
		default:
		}
		errs <- err
	}
	// Notifications start before the first inventory, so that nothing
	// changing in between is missed.
	notes := make(chan struct{}, 1)
	var forwarders sync.WaitGroup
	for _, b := range backend.All() {
		n, ok := b.(backend.Notifier)
		if !ok || !offersAny(b, c.kinds) {
			continue
		}
		ch, err := n.Changes(ctx)
		if errors.Is(err, backend.ErrNotFound) {
			continue // nothing to watch here (no X display); polling still asks
		}
		if err != nil {
			report(fmt.Errorf("backend %s: watching for changes (polling only): %w", b.Name(), err))
			continue
		}
		forwarders.Go(func() {
			for range ch { // closed by the backend once ctx is done
				select {
				case notes <- struct{}{}:
				default: // one is pending already
				}
			}
		})
	}
	known := inventory(ctx, c.kinds, nil, nil)
	go func() {
		defer close(w.done)
		defer close(errs)
		defer close(events)
		defer forwarders.Wait()
		w.loop(ctx, c, known, notes, events, report)
	}()
	return w
}

func offersAny(b backend.Backend, kinds []Kind) bool {
	return len(kinds) == 0 || slices.ContainsFunc(kinds, func(k Kind) bool { return backend.Offers(b, k) })
}

// Close stops the Watcher and waits until its channels are closed.
func (w *Watcher) Close() error {
	w.cancel()
	<-w.done
	return nil
}

// inventory lists the devices of kinds by ID. A backend that fails to
// enumerate keeps the devices known before (from known), so that a passing
// error (an audio server restarting) is reported on Errors, not as every
// device removed and added again.
func inventory(ctx context.Context, kinds []Kind, known map[string]Device, report func(error)) map[string]Device {
	m := make(map[string]Device, len(known))
	each(ctx, kinds, func(b backend.Backend, ds []Device, err error) {
		if err != nil {
			if report != nil {
				report(fmt.Errorf("backend %s: %w", b.Name(), err))
			}
			for id, d := range known {
				if d.Backend == b.Name() {
					m[id] = d
				}
			}
		}
		for _, d := range ds {
			m[d.ID] = d
		}
	})
	return m
}

func (w *Watcher) loop(ctx context.Context, c watchConfig, known map[string]Device, notes <-chan struct{}, events chan<- Event, report func(error)) {
	var tick <-chan time.Time
	if c.interval > 0 {
		t := time.NewTicker(c.interval)
		defer t.Stop()
		tick = t.C
	}
	settle := time.NewTimer(time.Hour)
	settle.Stop()
	var settled <-chan time.Time // non-nil while a notification waits to settle
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
		case <-notes:
			if settled == nil {
				settle.Reset(c.settle)
				settled = settle.C
			}
			continue
		case <-settled:
			settled = nil
		case <-tick:
		}
		now := inventory(ctx, c.kinds, known, report)
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
