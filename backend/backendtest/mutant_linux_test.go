package backendtest_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/backend/backendtest"
	"github.com/miniav-go/miniav/backend/testsrc"
	"github.com/miniav-go/miniav/format"
)

// A mutant is the synthetic source with one deliberate contract bug, and
// the kit's subtest that must catch it, with a phrase of its report.
type mutant struct {
	name, device string
	caught       string // the subtest of Run that must fail
	says         string // a phrase its failure must contain
	onlyRace     bool   // caught by the race detector: needs -race
}

var mutants = []mutant{
	{"lend-twice", "camera", "Source/Frames", "lent the memory of a frame still held", false},
	{"lend-twice", "camera", "Source/BuffersComeBack", "lent the memory of frame", false},
	{"lend-twice", "camera", "Pull/Frames", "shares memory with a frame still held", false},
	{"overwrite-held", "camera", "Source/Frames", "a frame held while", false},
	{"overwrite-held", "camera", "Pull/Frames", "a frame held while", false},
	{"close-clobbers-held", "camera", "Source/HeldAcrossClose", "a frame held across Close changed", false},
	{"close-clobbers-held", "camera", "Stream/HeldAcrossClose", "a frame held across Close changed", false},
	{"second-close-frees", "camera", "Source/HeldAcrossClose", "a frame held across Close changed", false},
	{"lose-release", "camera", "Source/BuffersComeBack", "Read: still blocked", false},
	{"ignore-cancel", "camera", "Source/CancelUnblocksRead", "still blocked", false},
	{"cancel-wrong-error", "camera", "Source/CancelUnblocksRead", "want an error matching context.Canceled", false},
	{"read-after-close", "camera", "Source/Close", "Read after Close returned a frame", false},
	{"close-twice-errors", "camera", "Source/Close", "Close is idempotent", false},
	{"open-ignores-ctx", "camera", "Source/OpenCancelled", "Open with a cancelled context succeeded", false},
	{"typed-nil-on-error", "camera", "Source/OpenCancelled", "returned a non-nil Source", false},
	{"seq-backwards", "camera", "Source/Frames", "want at least", false},
	{"seq-backwards", "camera", "Pull/Frames", "want at least", false},
	{"seq-overlap", "microphone", "Source/Frames", "want at least", false},
	{"skipped-lie", "camera", "Source/Frames", "Skipped 3, but the gap", false},
	{"wall-clock", "camera", "Source/Frames", "not on the shared epoch", false},
	{"wall-clock", "camera", "Stream/Frames", "not on the shared epoch", false},
	{"no-device-ts", "camera", "Source/Frames", "DeviceTimestamp was 0", false},
	{"info-mismatch", "camera", "Source/Frames", "Info says", false},
	{"info-mismatch", "camera", "Stream/Frames", "Info says", false},
	{"short-plane", "camera", "Source/Frames", "bytes, want at least", false},
	{"audio-bytes", "microphone", "Source/Frames", "bytes for", false},
	{"false-drops", "camera", "Stream/Frames", "dropped from the queue", false},
	{"false-drops", "camera", "Pull/Frames", "pull stream: captured", false},
	{"allocates", "camera", "Source/NoAllocs", "allocations per frame", false},
	{"allocates", "camera", "Pull/NoAllocs", "allocations per frame", false},
	{"leak-goroutine", "camera", "Source/Close", "leak: goroutines", false},
	{"leak-fd", "camera", "Source/Close", "leak: 1 file descriptors", false},
	{"leak-shm", "camera", "Source/Close", "leak: SysV shared-memory segments", false},
	{"memory-fresh", "camera", "Source/Memory", "the identity is not stable", false},
	{"memory-teardown-at-close", "camera", "Source/Memory", "torn down 1 time(s) while the buffer is held", false},
	{"racy-release", "camera", "Source/BuffersComeBack", "race detected", true},
}

const mutantEnv = "BACKENDTEST_MUTANT"

// TestMutantChild runs the kit on one mutant, in a child process started by
// TestMutations (it does nothing otherwise).
func TestMutantChild(t *testing.T) {
	m := os.Getenv(mutantEnv)
	if m == "" {
		t.Skip("runs in a child process of TestMutations")
	}
	name, dev, _ := strings.Cut(m, "/")
	cfg := backend.Config{Video: format.Video{Width: 160, Height: 120, PixelFormat: format.I420, FrameRate: format.FPS(200)}}
	if dev == "microphone" {
		cfg = backend.Config{Audio: format.Audio{SampleRate: 48000, Channels: 1, SampleFormat: format.S16, PeriodFrames: 240}}
	}
	backendtest.Run(t, "mutant:"+name+"/"+dev, backendtest.WithConfig(cfg),
		backendtest.FrameTimeout(time.Second), backendtest.CleanupTimeout(time.Second), backendtest.Frames(6))
}

var failLine = regexp.MustCompile(`--- FAIL: TestMutantChild/(\S+)`)

// Each deliberate bug makes the kit fail, in the contract it breaks.
func TestMutations(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The control: the wrapper without a bug passes the whole kit.
	out, failed, err := runChild(exe, "none/camera", "^TestMutantChild$")
	if !errors.Is(err, errPassed) || len(failed) > 0 || !strings.Contains(out, "--- PASS: TestMutantChild/Pull/NoAllocs") {
		t.Fatalf("the kit failed on the wrapped synthetic source without a bug: %v %v\n%s", failed, err, out)
	}
	// One child per mutant runs the kit's subtests that must catch it.
	runs := map[string]*childRun{}
	for _, m := range mutants {
		key := m.name + "/" + m.device
		if runs[key] == nil {
			runs[key] = &childRun{groups: map[string]bool{}, tests: map[string]bool{}}
		}
		group, test, _ := strings.Cut(m.caught, "/")
		runs[key].groups[group], runs[key].tests[test] = true, true
	}
	sem := make(chan struct{}, 2)
	for _, m := range mutants {
		t.Run(m.name+"/"+strings.ReplaceAll(m.caught, "/", "."), func(t *testing.T) {
			if m.onlyRace && !raceEnabled {
				t.Skip("caught by the race detector: run with -race")
			}
			t.Parallel()
			r := runs[m.name+"/"+m.device]
			r.once.Do(func() {
				sem <- struct{}{}
				r.out, r.failed, r.err = runChild(exe, m.name+"/"+m.device, r.pattern())
				<-sem
			})
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !slices.Contains(r.failed, m.caught) {
				t.Fatalf("mutant %s: %s did not fail; failed: %v\n%s", m.name, m.caught, r.failed, r.out)
			}
			if !strings.Contains(sectionOf(r.out, m.caught), m.says) {
				t.Fatalf("mutant %s: %s failed without saying %q:\n%s", m.name, m.caught, m.says, sectionOf(r.out, m.caught))
			}
			t.Logf("caught by %s (%d of the kit's subtests failed: %v)", m.caught, len(r.failed), r.failed)
		})
	}
}

var errPassed = errors.New("the kit passed")

type childRun struct {
	groups, tests map[string]bool
	once          sync.Once
	out           string
	failed        []string
	err           error
}

// pattern is the -test.run pattern of the subtests the child runs.
func (r *childRun) pattern() string {
	alt := func(m map[string]bool) string {
		var s []string
		for k := range m {
			s = append(s, k)
		}
		slices.Sort(s)
		return strings.Join(s, "|")
	}
	return "^TestMutantChild$/^(Warmup|" + alt(r.groups) + ")$/^(" + alt(r.tests) + ")$"
}

// runChild runs the kit on mutant in a child process and returns its
// output and the kit's failed subtests (below the device level).
func runChild(exe, mutant, pattern string) (string, []string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run="+pattern, "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), mutantEnv+"="+mutant)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if cmd.Process != nil {
		removeSegments(cmd.Process.Pid)
	}
	if ctx.Err() != nil {
		return out.String(), nil, fmt.Errorf("the child for %s did not finish: %v\n%s", mutant, ctx.Err(), out.String())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return out.String(), nil, err
	}
	var failed []string
	for _, m := range failLine.FindAllStringSubmatch(out.String(), -1) {
		if strings.Count(m[1], "/") == 1 {
			failed = append(failed, m[1])
		}
	}
	if err == nil || len(failed) == 0 {
		return out.String(), failed, fmt.Errorf("mutant %s: %w", mutant, errPassed)
	}
	return out.String(), failed, nil
}

// sectionOf returns the output lines between the start of subtest name
// and its result, with the race detector's reports.
func sectionOf(out, name string) string {
	start := strings.Index(out, "=== RUN   TestMutantChild/"+name+"\n")
	if start < 0 {
		return ""
	}
	end := strings.Index(out[start:], "--- FAIL: TestMutantChild/"+name+" ")
	if end < 0 {
		return out[start:]
	}
	return out[start : start+end]
}

// removeSegments removes the SysV segments that process pid created and
// left (the leak-shm mutant's): they would outlive it.
func removeSegments(pid int) {
	f, err := os.Open("/proc/sysvipc/shm")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) > 4 && fs[4] == strconv.Itoa(pid) {
			id, _ := strconv.Atoi(fs[1])
			unix.SysvShmCtl(id, unix.IPC_RMID, nil)
		}
	}
}

// The mutant backend: "mutant:NAME/DEVICE" is testsrc's DEVICE with the
// bug NAME.
func init() { backend.Register(mutantBackend{}) }

type mutantBackend struct{}

func (mutantBackend) Name() string                                      { return "mutant" }
func (mutantBackend) Devices(context.Context) ([]backend.Device, error) { return nil, nil }

func (mutantBackend) Open(ctx context.Context, addr string, cfg backend.Config) (backend.Source, error) {
	name, dev, _ := strings.Cut(addr, "/")
	if name == "open-ignores-ctx" {
		ctx = context.Background()
	}
	inner, err := testsrc.Backend{}.Open(ctx, dev, cfg)
	if err != nil && name == "typed-nil-on-error" {
		var m *mutantSource
		return m, err
	}
	if err != nil {
		return nil, err
	}
	m := &mutantSource{Source: inner, name: name, obs: cfg.Observer}
	switch name {
	case "leak-goroutine":
		m.stuck = make(chan struct{})
		go func() { <-m.stuck }()
	case "leak-fd":
		if m.fd, err = os.Open("/dev/null"); err != nil {
			return nil, err
		}
	case "leak-shm":
		if _, err := unix.SysvShmGet(unix.IPC_PRIVATE, 4096, unix.IPC_CREAT|0o600); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// slot is an inner buffer lent under a token of the mutant's.
type slot struct {
	used bool
	buf  backend.Buffer
}

// mutantSource wraps a testsrc source and lends its buffers under tokens
// of its own, so it knows which are held.
type mutantSource struct {
	backend.Source
	name     string
	obs      backend.Observer
	mu       sync.Mutex
	scratch  backend.Buffer // Read's inner buffer (a local would escape)
	lent     [64]slot       // the inner buffers lent, by token
	n        int
	firstBuf backend.Buffer // lend-twice: the first buffer lent
	closes   int
	released int // racy-release: unguarded on purpose
	stuck    chan struct{}
	fd       *os.File
}

var (
	sink    []byte
	sinkInt int
)

func (m *mutantSource) Info() backend.Info {
	in := m.Source.Info()
	if m.name == "info-mismatch" {
		in.Video.Width += 16
	}
	return in
}

func (m *mutantSource) Read(ctx context.Context, b *backend.Buffer) error {
	if m.name == "ignore-cancel" {
		ctx = context.WithoutCancel(ctx)
	}
	if m.name == "racy-release" {
		sinkInt = m.released
	}
	m.scratch = backend.Buffer{}
	if err := m.Source.Read(ctx, &m.scratch); err != nil {
		if m.name == "cancel-wrong-error" && errors.Is(err, context.Canceled) {
			return io.EOF
		}
		return err
	}
	in := m.scratch
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n++
	if m.name == "overwrite-held" {
		for i := range m.lent {
			if m.lent[i].used {
				m.lent[i].buf.Planes[0][0]++
			}
		}
	}
	tok := slices.IndexFunc(m.lent[:], func(s slot) bool { return !s.used })
	if tok < 0 {
		in.Releaser.ReleaseBuffer(in.Token)
		return errors.New("mutant: more than 64 buffers lent")
	}
	m.lent[tok] = slot{true, in}
	*b = in
	b.Releaser, b.Token = m, uint64(tok)
	switch m.name {
	case "lend-twice":
		if m.n == 1 {
			m.firstBuf = in
		} else if m.n%3 == 0 {
			b.Planes, b.Strides = m.firstBuf.Planes, m.firstBuf.Strides
		}
	case "seq-backwards":
		if m.n%4 == 0 && b.Sequence >= 2 {
			b.Sequence -= 2
		}
	case "seq-overlap":
		b.Sequence /= 2
	case "skipped-lie":
		b.Skipped = 3
	case "wall-clock":
		b.Timestamp = time.Duration(time.Now().UnixNano())
	case "no-device-ts":
		b.DeviceTimestamp = 0
	case "short-plane":
		b.Planes[0] = b.Planes[0][:len(b.Planes[0])-b.Strides[0]]
	case "audio-bytes":
		b.Frames++
	case "false-drops":
		m.obs.Dropped(backend.DropQueueOldest, 1)
	case "allocates":
		sink = make([]byte, 64+m.n%2)
	case "memory-fresh":
		b.Memory = backend.NewMemory(in.Memory.Bytes())
	}
	return nil
}

func (m *mutantSource) ReleaseBuffer(token uint64) {
	if m.name == "racy-release" {
		m.released++
	}
	m.mu.Lock()
	s := m.lent[token]
	m.lent[token] = slot{}
	m.mu.Unlock()
	if !s.used || m.name == "lose-release" {
		return
	}
	s.buf.Releaser.ReleaseBuffer(s.buf.Token)
}

func (m *mutantSource) Close() error {
	m.mu.Lock()
	m.closes++
	closes := m.closes
	if m.name == "memory-teardown-at-close" {
		for _, s := range m.lent {
			if s.used {
				s.buf.Memory.Teardown()
			}
		}
	}
	if m.name == "close-clobbers-held" || (m.name == "second-close-frees" && closes > 1) {
		for _, s := range m.lent {
			if s.used {
				clear(s.buf.Planes[0])
			}
		}
	}
	m.mu.Unlock()
	if m.name == "close-twice-errors" && closes > 1 {
		return errors.New("mutant: already closed")
	}
	if m.name == "read-after-close" {
		return nil
	}
	if m.fd != nil && m.name != "leak-fd" {
		m.fd.Close()
	}
	return m.Source.Close()
}
