package devices_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/backend"
	_ "github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/devices"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// plug is a backend whose devices the test plugs and unplugs; it stands for
// the registry's view of a hot-plugging backend, not for any real device.
type plug struct {
	name string
	mu   sync.Mutex
	devs []backend.Device
	err  error
}

func (p *plug) Name() string { return p.name }
func (p *plug) Devices(context.Context) ([]backend.Device, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]backend.Device(nil), p.devs...), p.err
}
func (p *plug) Open(context.Context, string, backend.Config) (backend.Source, error) {
	return nil, backend.ErrNotSupported
}
func (p *plug) set(err error, ids ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.devs, p.err = nil, err
	for _, id := range ids {
		p.devs = append(p.devs, backend.Device{ID: p.name + ":" + id, Name: id, Kind: backend.KindCamera})
	}
}

var hot = &plug{name: "plugtest"}

func init() { backend.Register(hot) }

func TestListAndKinds(t *testing.T) {
	hot.set(nil)
	ds, err := devices.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]devices.Kind{}
	for _, d := range ds {
		ids[d.ID] = d.Kind
		if d.Backend == "" {
			t.Errorf("%s: empty backend", d.ID)
		}
	}
	for id, k := range map[string]devices.Kind{"testsrc:camera": devices.Camera, "testsrc:screen": devices.Display, "testsrc:microphone": devices.Microphone} {
		if ids[id] != k {
			t.Errorf("%s: kind %v, want %v", id, ids[id], k)
		}
	}
	mics, _ := devices.List(context.Background(), devices.Microphone)
	if len(mics) != 1 || mics[0].ID != "testsrc:microphone" || len(mics[0].Audio) == 0 {
		t.Fatalf("microphones = %+v", mics)
	}
	cams, _ := devices.List(context.Background(), devices.Camera)
	if len(cams) != 1 || len(cams[0].Video) < 4 {
		t.Fatalf("cameras = %+v", cams)
	}
}

func TestListKeepsOtherBackendsOnError(t *testing.T) {
	boom := errors.New("boom")
	hot.set(boom, "a")
	defer hot.set(nil)
	ds, err := devices.List(context.Background())
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if len(ds) < 4 {
		t.Fatalf("got %d devices, want testsrc's 3 and plugtest:a", len(ds))
	}
}

func TestLookup(t *testing.T) {
	d, err := devices.Lookup(context.Background(), "testsrc:camera?static=1")
	if err != nil || d.Name == "" {
		t.Fatalf("Lookup = %+v, %v", d, err)
	}
	for _, id := range []string{"testsrc:nope", "nosuchbackend:x", "no-scheme"} {
		if _, err := devices.Lookup(context.Background(), id); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("Lookup(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

func TestDefaultPrefersRealDevices(t *testing.T) {
	hot.set(nil)
	d, err := devices.Default(context.Background(), devices.Camera)
	if err != nil || d.ID != "testsrc:camera" {
		t.Fatalf("no real camera: Default = %v, %v; want testsrc:camera", d.ID, err)
	}
	hot.set(nil, "cam0")
	defer hot.set(nil)
	if d, _ := devices.Default(context.Background(), devices.Camera); d.ID != "plugtest:cam0" {
		t.Fatalf("Default = %v, want plugtest:cam0", d.ID)
	}
	if _, err := devices.Default(context.Background(), devices.Window); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("Default(window) err = %v", err)
	}
}

func TestWatcherReportsHotPlug(t *testing.T) {
	hot.set(nil, "a")
	defer hot.set(nil)
	w := devices.NewWatcher(context.Background(), devices.WithInterval(5*time.Millisecond), devices.WithKinds(devices.Camera))
	defer w.Close()
	hot.set(nil, "b")
	got := map[string]devices.Op{}
	timeout := time.After(10 * time.Second)
	for len(got) < 2 {
		select {
		case e := <-w.Events:
			got[e.Device.ID] = e.Op
		case <-timeout:
			t.Fatalf("events so far: %v", got)
		}
	}
	if got["plugtest:a"] != devices.Removed || got["plugtest:b"] != devices.Added {
		t.Fatalf("events = %v", got)
	}
}

func TestWatcherClosesOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := devices.NewWatcher(ctx, devices.WithInterval(time.Millisecond))
	cancel()
	for range w.Events {
	}
	if _, ok := <-w.Errors; ok {
		// a buffered error may be pending; the channel must still close
		for range w.Errors {
		}
	}
	w.Close()
}

func ExampleList() {
	ds, err := devices.List(context.Background(), devices.Microphone)
	if err != nil {
		panic(err)
	}
	for _, d := range ds {
		if d.Backend == "testsrc" {
			fmt.Println(d.ID, d.Kind, d.Audio[0].SampleFormats)
		}
	}
	// Output: testsrc:microphone microphone [s16 f32]
}

// Watch for cameras being plugged in and out.
func ExampleNewWatcher() {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	w := devices.NewWatcher(ctx, devices.WithKinds(devices.Camera), devices.WithInterval(10*time.Millisecond))
	defer w.Close()
	for e := range w.Events {
		fmt.Println(e.Op, e.Device.ID)
	}
}

// micOnly is a backend that offers only microphones (backend.Kinder) and
// counts how often it is asked for devices.
type micOnly struct {
	asked atomic.Int32
	on    atomic.Bool // lists its device only in the test about it
}

func (m *micOnly) Name() string { return "mictest" }
func (m *micOnly) Kinds() []backend.Kind {
	return []backend.Kind{backend.KindMicrophone}
}
func (m *micOnly) Devices(context.Context) ([]backend.Device, error) {
	m.asked.Add(1)
	if !m.on.Load() {
		return nil, nil
	}
	return []backend.Device{{ID: "mictest:a", Kind: backend.KindMicrophone}}, nil
}
func (m *micOnly) Open(context.Context, string, backend.Config) (backend.Source, error) {
	return nil, backend.ErrNotSupported
}

var mic = &micOnly{}

func init() { backend.Register(mic) }

// Listing cameras does not wake a backend that has none (an audio server).
func TestListAsksOnlyBackendsOfTheKind(t *testing.T) {
	mic.on.Store(true)
	defer mic.on.Store(false)
	before := mic.asked.Load()
	if _, err := devices.Default(context.Background(), devices.Camera); err != nil {
		t.Fatal(err)
	}
	if n := mic.asked.Load() - before; n != 0 {
		t.Fatalf("the microphone-only backend was asked %d times for cameras", n)
	}
	ds, _ := devices.List(context.Background(), devices.Microphone, devices.Camera)
	if mic.asked.Load()-before != 1 || !slices.ContainsFunc(ds, func(d devices.Device) bool { return d.ID == "mictest:a" }) {
		t.Fatalf("listing microphones: asked %d times, devices %v", mic.asked.Load()-before, ds)
	}
}

// noted is a backend that notifies (backend.Notifier): the test changes its
// devices and then pokes it, as inotify or an X server would.
type noted struct {
	plug
	listed  atomic.Int32
	pokes   chan struct{}
	failing atomic.Pointer[error] // Changes fails with it: the Watcher must fall back to polling
	running atomic.Int32          // watches whose channel is not closed yet
}

func (n *noted) Devices(ctx context.Context) ([]backend.Device, error) {
	n.listed.Add(1)
	return n.plug.Devices(ctx)
}
func (n *noted) Changes(ctx context.Context) (<-chan struct{}, error) {
	if err := n.failing.Load(); err != nil {
		return nil, *err
	}
	ch := make(chan struct{}, 1)
	n.running.Add(1)
	go func() {
		defer close(ch) // after the count: Close waits for this
		defer n.running.Add(-1)
		for {
			select {
			case <-ctx.Done():
				return
			case <-n.pokes:
				select {
				case ch <- struct{}{}:
				default:
				}
			}
		}
	}()
	return ch, nil
}

var note = &noted{plug: plug{name: "notetest"}, pokes: make(chan struct{})}

func init() { backend.Register(note) }

// With polling off, a notification alone makes the Watcher enumerate, once
// per burst, after the settle time; Close ends the backend's watch.
func TestWatcherEnumeratesOnNotification(t *testing.T) {
	note.set(nil, "x")
	defer note.set(nil)
	w := devices.NewWatcher(context.Background(), devices.WithInterval(0), devices.WithSettle(30*time.Millisecond))
	if note.running.Load() != 1 {
		t.Fatalf("%d watches running, want 1", note.running.Load())
	}
	base := note.listed.Load() // the first inventory
	note.set(nil, "y")
	start := time.Now()
	for range 20 { // a burst: one enumeration
		note.pokes <- struct{}{}
	}
	got := map[string]devices.Op{}
	for len(got) < 2 {
		select {
		case e := <-w.Events:
			got[e.Device.ID] = e.Op
		case <-time.After(10 * time.Second):
			t.Fatalf("events so far: %v", got)
		}
	}
	if since := time.Since(start); since < 30*time.Millisecond {
		t.Errorf("enumerated %v after the first notification, before the settle time", since)
	}
	if got["notetest:x"] != devices.Removed || got["notetest:y"] != devices.Added {
		t.Fatalf("events = %v", got)
	}
	if n := note.listed.Load() - base; n != 1 {
		t.Errorf("%d enumerations for one burst of notifications, want 1", n)
	}
	// Without a notification nothing is enumerated: polling is off.
	note.set(nil, "z")
	select {
	case e := <-w.Events:
		t.Fatalf("event %v without a notification or polling", e)
	case <-time.After(100 * time.Millisecond):
	}
	w.Close()
	if note.running.Load() != 0 {
		t.Fatal("the backend's watch still runs after Close")
	}
}

// A backend that cannot watch is reported on Errors, and polled.
func TestWatcherPollsWhenWatchingFails(t *testing.T) {
	failure := errors.New("no watching today")
	note.failing.Store(&failure)
	defer note.failing.Store(nil)
	note.set(nil)
	defer note.set(nil)
	w := devices.NewWatcher(context.Background(), devices.WithInterval(5*time.Millisecond))
	defer w.Close()
	if err := <-w.Errors; err == nil || !strings.Contains(err.Error(), "notetest") {
		t.Fatalf("Errors gave %v, want the failed watch", err)
	}
	note.set(nil, "p")
	select {
	case e := <-w.Events:
		if e.Op != devices.Added || e.Device.ID != "notetest:p" {
			t.Fatalf("event %v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event from polling")
	}
}

// A backend with nothing to watch (ErrNotFound: no display server) is not
// an error worth reporting.
func TestWatcherIgnoresNothingToWatch(t *testing.T) {
	failure := fmt.Errorf("no display: %w", backend.ErrNotFound)
	note.failing.Store(&failure)
	defer note.failing.Store(nil)
	w := devices.NewWatcher(context.Background(), devices.WithInterval(time.Hour))
	select {
	case err := <-w.Errors:
		t.Fatalf("reported %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	w.Close()
}

// A backend that fails to enumerate keeps its devices (no removal, and no
// addition when it recovers); the Watcher keeps the latest error for a
// reader that comes late.
func TestWatcherKeepsDevicesOfAFailingBackend(t *testing.T) {
	hot.set(nil, "kept")
	defer hot.set(nil)
	w := devices.NewWatcher(context.Background(), devices.WithInterval(5*time.Millisecond), devices.WithKinds(devices.Camera))
	defer w.Close()
	hot.set(errors.New("first failure"))
	time.Sleep(50 * time.Millisecond) // several enumerations fail
	hot.set(errors.New("latest failure"), "new")
	time.Sleep(50 * time.Millisecond)
	if err := <-w.Errors; err == nil || !strings.Contains(err.Error(), "latest failure") || !strings.Contains(err.Error(), "plugtest") {
		t.Fatalf("Errors gave %v, want the latest failure", err)
	}
	hot.set(nil, "kept", "new")
	select {
	case e := <-w.Events:
		if e.Op != devices.Added || e.Device.ID != "plugtest:new" {
			t.Fatalf("event %v %s, want only plugtest:new added", e.Op, e.Device.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	select {
	case e := <-w.Events:
		t.Fatalf("event %v %s: the failing backend's device was reported", e.Op, e.Device.ID)
	case <-time.After(100 * time.Millisecond):
	}
}
