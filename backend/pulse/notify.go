//go:build !js

package pulse

import (
	"context"

	"github.com/miniav-go/miniav/internal/pulsewire"
)

// Changes implements backend.Notifier: a connection of its own subscribes
// to the server's source events, and a source added or removed is a
// notification (a changed volume is not). The channel closes when ctx is
// done or the server goes away; no reachable server is an error matching
// backend.ErrNotFound.
func (Backend) Changes(ctx context.Context) (<-chan struct{}, error) {
	c, err := dial(ctx, "")
	if err != nil {
		return nil, err
	}
	stop := c.Bind(ctx)
	if err := c.Subscribe(pulsewire.SubscribeSource); err != nil {
		stop()
		c.Close()
		return nil, err
	}
	ch := make(chan struct{}, 1)
	go func() {
		defer close(ch)
		defer c.Close()
		defer stop()
		for {
			e, err := c.ReadEvent()
			if err != nil {
				return // ctx done (the connection was interrupted), or the server went away
			}
			if e.Kind&pulsewire.FacilityMask != pulsewire.FacilitySource || e.Kind&pulsewire.EventTypeMask == pulsewire.EventChange {
				continue
			}
			select {
			case ch <- struct{}{}:
			default: // one is pending
			}
		}
	}()
	return ch, nil
}
