//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miniav-go/miniav"
	"github.com/miniav-go/miniav/devices"
	"github.com/miniav-go/miniav/format"
	"github.com/miniav-go/miniav/internal/vmtest"
)

// vivid runs a module command (rmmod, insmod) in the guest.
func vivid(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// events collects the Watcher's events until want of them arrived.
func events(t *testing.T, w *devices.Watcher, want int) map[string]devices.Op {
	t.Helper()
	got := map[string]devices.Op{}
	timeout := time.After(20 * time.Second)
	for len(got) < want {
		select {
		case e := <-w.Events:
			if _, dup := got[e.Device.ID]; dup {
				t.Fatalf("second event for %s: %v (so far %v)", e.Device.ID, e.Op, got)
			}
			got[e.Device.ID] = e.Op
		case err := <-w.Errors:
			t.Logf("watcher: %v", err)
		case <-timeout:
			t.Fatalf("events so far: %v, want %d", got, want)
		}
	}
	return got
}

// Unloading and reloading the real vivid driver is seen through /dev's
// inotify watch alone (polling is off): its nodes are reported removed,
// then the new instances added, and a camera reported added streams.
func TestVMHotPlug(t *testing.T) {
	vmtest.Require(t)
	orig := os.Getenv("VIVID_OPTS")
	if orig == "" {
		t.Fatal("VIVID_OPTS is not in the guest's environment (scripts/vm/init exports it)")
	}
	restored := false
	t.Cleanup(func() {
		if !restored { // put the other tests' devices back
			exec.Command("rmmod", "vivid").Run()
			exec.Command("sh", "-c", "insmod /modules/vivid.ko "+orig).Run()
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := devices.NewWatcher(ctx, devices.WithKinds(devices.Camera), devices.WithInterval(0), devices.WithSettle(50*time.Millisecond))
	defer w.Close()

	start := time.Now()
	vivid(t, "rmmod", "vivid")
	got := events(t, w, 2)
	want := map[string]devices.Op{"v4l2:" + single: devices.Removed, "v4l2:" + multi: devices.Removed}
	if !maps.Equal(got, want) {
		t.Fatalf("after rmmod: %v, want %v", got, want)
	}
	t.Logf("removal reported %v after rmmod started", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	vivid(t, "insmod", "/modules/vivid.ko", "n_devs=3", "node_types=0x1,0x1,0x1", "multiplanar=1,2,1")
	got = events(t, w, 3)
	want = map[string]devices.Op{"v4l2:/dev/video0": devices.Added, "v4l2:/dev/video1": devices.Added, "v4l2:/dev/video2": devices.Added}
	if !maps.Equal(got, want) {
		t.Fatalf("after insmod: %v, want %v", got, want)
	}
	t.Logf("addition reported %v after insmod started", time.Since(start).Round(time.Millisecond))

	// The camera that just appeared is a working vivid instance.
	node := "/dev/video2"
	vmtest.SetCtrl(t, node, vmtest.CtrlOSDMode, 2) // no restore: the instance goes away
	vmtest.SetCtrl(t, node, vmtest.CtrlTestPattern, 0)
	s, err := miniav.Open(ctx, "v4l2:"+node, miniav.WithPull(),
		miniav.WithVideo(format.Video{Width: 320, Height: 180, PixelFormat: format.YUYV}))
	if err != nil {
		t.Fatal(err)
	}
	f := next(t, s)
	if bad := vmtest.CheckBars(t, f.Video()); bad > 0 {
		t.Errorf("%d bar samples wrong on the hot-plugged %s", bad, node)
	}
	f.Release()
	s.Close()

	// Back to the configuration the other tests expect.
	w.Close()
	vivid(t, "rmmod", "vivid")
	vivid(t, "sh", "-c", "insmod /modules/vivid.ko "+orig)
	restored = true
	ds, err := devices.List(ctx, devices.Camera)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		if d.Backend == Name {
			ids = append(ids, d.ID)
		}
	}
	if !slices.Equal(ids, []string{"v4l2:" + single, "v4l2:" + multi}) {
		t.Fatalf("after restoring vivid: %v", ids)
	}
}
