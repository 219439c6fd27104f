package lktest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"go.uber.org/goleak"

	"github.com/miniav-go/miniav/publish/internal/lktest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A node starts, serves LiveKit's room API with the harness's keys
// (a room created is listed, a wrong secret is refused), and is gone
// after Stop.
func TestServer(t *testing.T) {
	s := lktest.Start(t, lktest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rc := lksdk.NewRoomServiceClient(s.HTTP, lktest.APIKey, lktest.APISecret)
	if _, err := rc.CreateRoom(ctx, &livekit.CreateRoomRequest{Name: "harness"}); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	res, err := rc.ListRooms(ctx, &livekit.ListRoomsRequest{})
	if err != nil {
		t.Fatalf("ListRooms: %v", err)
	}
	if len(res.Rooms) != 1 || res.Rooms[0].Name != "harness" {
		t.Fatalf("rooms %v, want just harness", res.Rooms)
	}
	bad := lksdk.NewRoomServiceClient(s.HTTP, lktest.APIKey, "not-the-secret-not-the-secret-xx")
	if _, err := bad.ListRooms(ctx, &livekit.ListRoomsRequest{}); err == nil {
		t.Fatal("ListRooms with a wrong secret succeeded")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: time.Second}
	if resp, err := c.Get(s.HTTP + "/"); err == nil {
		resp.Body.Close()
		t.Fatalf("%s still answers after Stop: %s", s.HTTP, resp.Status)
	}
	c.CloseIdleConnections()
}

// Two nodes on one Redis form one cluster: a room created through node A
// is listed by node B.
func TestCluster(t *testing.T) {
	redis := lktest.StartRedis(t)
	a := lktest.Start(t, lktest.Options{Redis: redis})
	b := lktest.Start(t, lktest.Options{Redis: redis})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := lksdk.NewRoomServiceClient(a.HTTP, lktest.APIKey, lktest.APISecret).
		CreateRoom(ctx, &livekit.CreateRoomRequest{Name: "shared"}); err != nil {
		t.Fatalf("CreateRoom on A: %v", err)
	}
	res, err := lksdk.NewRoomServiceClient(b.HTTP, lktest.APIKey, lktest.APISecret).
		ListRooms(ctx, &livekit.ListRoomsRequest{Names: []string{"shared"}})
	if err != nil {
		t.Fatalf("ListRooms on B: %v", err)
	}
	if len(res.Rooms) != 1 {
		t.Fatalf("node B lists %v, want the room made on A", res.Rooms)
	}
}
