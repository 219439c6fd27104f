package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/publish/internal/lktest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestUsage(t *testing.T) {
	env := func(string) string { return "" }
	for _, args := range [][]string{
		{"-room", "r", "-key", "k", "-secret", "s"},                  // no URL
		{"-url", "ws://127.0.0.1:1", "-key", "k", "-secret", "s"},    // no room
		{"-url", "ws://127.0.0.1:1", "-room", "r", "-format", "bad"}, // no key, bad format
		{"-url", "ws://127.0.0.1:1", "-room", "r", "-key", "k", "-secret", "s", "-codec", "av2"},
		{"-url", "ws://127.0.0.1:1", "-room", "r", "-key", "k", "-secret", "s", "-audio", "testsrc:microphone", "-audio-format", "loud"},
		{"-nope"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), args, env, &out); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

// With the server and keys from LIVEKIT_* variables, the command joins
// the room, publishes one video track of the given size and codec (as the
// room API lists it) and, at -duration, leaves and reports the frames it
// sent; with -codec vp8 and -codec h264.
func TestPublishIntoRoom(t *testing.T) {
	lktest.NeedICE(t)
	srv := lktest.Start(t, lktest.Options{})
	for _, c := range []string{"vp8", "h264"} {
		t.Run(c, func(t *testing.T) { publishIntoRoom(t, srv, c, false) })
	}
	// -audio: the microphone's Opus track is the same participant's
	t.Run("vp8+audio", func(t *testing.T) { publishIntoRoom(t, srv, "vp8", true) })
}

func publishIntoRoom(t *testing.T, srv *lktest.Server, codec string, withAudio bool) {
	env := map[string]string{"LIVEKIT_URL": srv.URL, "LIVEKIT_API_KEY": lktest.APIKey, "LIVEKIT_API_SECRET": lktest.APISecret}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	roomName := "cli-" + codec
	if withAudio {
		roomName += "-audio"
	}
	var out bytes.Buffer
	var wg sync.WaitGroup
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		args := []string{"-device", "testsrc:camera", "-format", "320x240@30 i420", "-room", roomName,
			"-identity", "cam1", "-codec", codec, "-duration", "6s"}
		if withAudio {
			args = append(args, "-audio", "testsrc:microphone")
		}
		err = run(ctx, args, func(k string) string { return env[k] }, &lockedWriter{w: &out})
	}()
	rc := lksdk.NewRoomServiceClient(srv.HTTP, lktest.APIKey, lktest.APISecret)
	var track, mic *livekit.TrackInfo
	want := 1
	if withAudio {
		want = 2
	}
	for track == nil && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
		res, lerr := rc.ListParticipants(ctx, &livekit.ListParticipantsRequest{Room: roomName})
		if lerr != nil {
			continue // the room does not exist until the command joins
		}
		for _, p := range res.Participants {
			if p.Identity != "cam1" || len(p.Tracks) < want {
				continue
			}
			for _, tr := range p.Tracks {
				if tr.Type == livekit.TrackType_VIDEO {
					track = tr
				} else {
					mic = tr
				}
			}
		}
	}
	wg.Wait()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if track == nil {
		t.Fatalf("no video track of cam1 listed in room %s\n%s", roomName, out.String())
	}
	if withAudio && (mic == nil || mic.Type != livekit.TrackType_AUDIO || mic.Source != livekit.TrackSource_MICROPHONE || !strings.EqualFold(mic.MimeType, "audio/opus")) {
		t.Errorf("cam1's second track %v, want an Opus microphone track", mic)
	}
	if track.Type != livekit.TrackType_VIDEO || track.Width != 320 || track.Height != 240 || !strings.EqualFold(track.MimeType, "video/"+codec) {
		t.Errorf("track %v %dx%d %s, want %s video 320x240", track.Type, track.Width, track.Height, track.MimeType, codec)
	}
	s := out.String()
	t.Log(strings.TrimSpace(s))
	if !strings.Contains(s, `into room "`+roomName+`"`) || !strings.Contains(s, "sent ") || strings.Contains(s, "sent 0 frames") {
		t.Errorf("stderr: %q", s)
	}
	if withAudio && (!strings.Contains(s, "sent ") || !strings.Contains(s, "audio packets") || strings.Contains(s, "sent 0 audio packets")) {
		t.Errorf("stderr says nothing of the audio sent: %q", s)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
