package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/devices"
)

func parseKind(s string) (backend.Kind, error) {
	if k, ok := backend.ParseKind(s); ok {
		return k, nil
	}
	return 0, fmt.Errorf("unknown kind %q (want camera, display, window, microphone or loopback): %w", s, errUsage)
}

func devicesCmd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	fs.SetOutput(out)
	kind := fs.String("kind", "", "only devices of this kind: camera, display, window, microphone, loopback")
	watch := fs.Bool("watch", false, "after listing, print devices as they are added and removed until interrupted")
	interval := fs.Duration("interval", devices.DefaultInterval, "with -watch: how often to enumerate (0: only when a backend notifies, as v4l2 does through inotify)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var kinds []backend.Kind
	if *kind != "" {
		k, err := parseKind(*kind)
		if err != nil {
			return err
		}
		kinds = append(kinds, k)
	}
	var w *devices.Watcher
	if *watch { // before listing: what the list misses, the watcher reports
		w = devices.NewWatcher(ctx, devices.WithKinds(kinds...), devices.WithInterval(*interval))
		defer w.Close()
	}
	ds, err := devices.List(ctx, kinds...)
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tNAME")
	for _, d := range ds {
		name := d.Name
		if d.Default {
			name += " (default)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", d.ID, d.Kind, name)
		for _, c := range d.Video {
			fmt.Fprintf(tw, "\t\t  %s\n", c)
		}
		for _, c := range d.Audio {
			fmt.Fprintf(tw, "\t\t  %s\n", strings.TrimSpace(c.String()))
		}
	}
	tw.Flush()
	if err != nil {
		// Partial results were printed; say which backends failed.
		fmt.Fprintf(out, "some backends could not list devices: %v\n", err)
	}
	if w != nil {
		watchDevices(w, out)
	}
	return nil
}

// watchDevices prints the watcher's events, one line each, until it closes.
func watchDevices(w *devices.Watcher, out io.Writer) {
	errs := w.Errors
	for {
		select {
		case e, ok := <-w.Events:
			if !ok {
				return
			}
			fmt.Fprintf(out, "%s\t%s\t%s\t%s\n", e.Op, e.Device.ID, e.Device.Kind, e.Device.Name)
		case err, ok := <-errs:
			if !ok {
				errs = nil // Events closes next
				continue
			}
			fmt.Fprintf(out, "error\t%v\n", err)
		}
	}
}
