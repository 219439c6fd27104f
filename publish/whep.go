package publish

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// WHEP is an http.Handler that lets WebRTC clients play a VideoTrack with
// the WHEP-style exchange: a POST of an SDP offer (Content-Type
// application/sdp) is answered 201 Created with the SDP answer (ICE
// candidates included, no trickle) and a Location; a DELETE of that
// Location ends the session. Every session shares the one track: the
// stream is encoded once however many watch.
type WHEP struct {
	track *VideoTrack
	api   *webrtc.API
	cfg   webrtc.Configuration

	mu       sync.Mutex
	sessions map[string]*webrtc.PeerConnection
	closed   bool
}

// WHEPOption configures a WHEP handler.
type WHEPOption func(*WHEP)

// WithAPI makes the handler's peer connections with api (for a
// SettingEngine that restricts interfaces or ports, say).
func WithAPI(api *webrtc.API) WHEPOption { return func(w *WHEP) { w.api = api } }

// WithConfiguration sets the peer connections' configuration (ICE servers).
func WithConfiguration(c webrtc.Configuration) WHEPOption { return func(w *WHEP) { w.cfg = c } }

// NewWHEP returns a handler serving t.
func NewWHEP(t *VideoTrack, opts ...WHEPOption) *WHEP {
	w := &WHEP{track: t, api: webrtc.NewAPI(), sessions: map[string]*webrtc.PeerConnection{}}
	for _, o := range opts {
		o(w)
	}
	return w
}

// Sessions is how many sessions are open.
func (w *WHEP) Sessions() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sessions)
}

// ServeHTTP handles POST (new session) on any path and DELETE on a
// session's Location.
func (w *WHEP) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		w.offer(rw, r)
	case http.MethodDelete:
		id := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		w.mu.Lock()
		pc := w.sessions[id]
		delete(w.sessions, id)
		w.mu.Unlock()
		if pc == nil {
			http.Error(rw, "no such session", http.StatusNotFound)
			return
		}
		pc.Close()
		rw.WriteHeader(http.StatusOK)
	case http.MethodOptions:
		rw.Header().Set("Accept-Post", "application/sdp")
		rw.WriteHeader(http.StatusNoContent)
	default:
		rw.Header().Set("Allow", "POST, DELETE, OPTIONS")
		http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (w *WHEP) offer(rw http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/sdp") {
		http.Error(rw, "want Content-Type application/sdp", http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	answer, id, err := w.session(string(body))
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	loc := strings.TrimSuffix(r.URL.Path, "/") + "/" + id
	rw.Header().Set("Content-Type", "application/sdp")
	rw.Header().Set("Location", loc)
	rw.WriteHeader(http.StatusCreated)
	io.WriteString(rw, answer)
}

// session answers an offer with a new peer connection carrying the track.
func (w *WHEP) session(offer string) (answer, id string, err error) {
	pc, err := w.api.NewPeerConnection(w.cfg)
	if err != nil {
		return "", "", fmt.Errorf("publish: %w", err)
	}
	fail := func(err error) (string, string, error) {
		pc.Close()
		return "", "", fmt.Errorf("publish: %w", err)
	}
	if _, err := w.track.AddTo(pc); err != nil {
		return fail(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail(err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return fail(err)
	}
	<-gathered
	var b [8]byte
	rand.Read(b[:])
	id = hex.EncodeToString(b[:])
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return fail(http.ErrServerClosed)
	}
	w.sessions[id] = pc
	w.mu.Unlock()
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			// The keyframe sent when the track was bound went out before
			// DTLS was up on a slow machine: send one the receiver gets.
			w.track.forceKey()
		}
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			w.mu.Lock()
			if w.sessions[id] == pc {
				delete(w.sessions, id)
			}
			w.mu.Unlock()
			if s == webrtc.PeerConnectionStateFailed {
				pc.Close()
			}
		}
	})
	return pc.LocalDescription().SDP, id, nil
}

// Close ends every session and refuses new ones.
func (w *WHEP) Close() error {
	w.mu.Lock()
	w.closed = true
	pcs := w.sessions
	w.sessions = map[string]*webrtc.PeerConnection{}
	w.mu.Unlock()
	for _, pc := range pcs {
		pc.Close()
	}
	return nil
}

// LoopbackAPI is a webrtc API whose peer connections use only the loopback
// interface (UDP over IPv4, no mDNS): for previews on the same machine and
// for tests, where nothing should leave the host.
func LoopbackAPI() *webrtc.API {
	var se webrtc.SettingEngine
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithSettingEngine(se))
}
