package publish

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// WHEP is an http.Handler that lets WebRTC clients play a VideoTrack with
// the WHEP-style exchange: a POST of an SDP offer (Content-Type
// application/sdp) is answered 201 Created with the SDP answer (ICE
// candidates included, no trickle) and a Location; a DELETE of that
// Location ends the session. Every session shares the one track: the
// stream is encoded once however many watch.
//
// Congestion control drives the track's bitrate: each session has its own
// estimate (Google Congestion Control, pion/interceptor's gcc, over the
// viewer's transport-wide congestion control feedback), and since the
// viewers share one encoder the lowest estimate among the sessions that
// send sets it, between the track's WithBitrate and 150 kbit/s: a viewer
// on a slow link lowers the picture for every viewer rather than losing
// frames. WithFixedWHEPBitrate turns that off, and so does WithAPI.
type WHEP struct {
	track *VideoTrack
	api   *webrtc.API           // the caller's (WithAPI); nil: one per session, with congestion control
	se    *webrtc.SettingEngine // WithSettingEngine
	fixed bool
	cfg   webrtc.Configuration

	mu       sync.Mutex
	sessions map[string]*whepSession
	closed   bool
}

// A whepSession is one viewer's peer connection and, once it sends, its
// bandwidth estimate.
type whepSession struct {
	pc  *webrtc.PeerConnection
	est atomic.Pointer[estimator]
}

// WHEPOption configures a WHEP handler.
type WHEPOption func(*WHEP)

// WithAPI makes the handler's peer connections with api. The handler then
// adds no congestion control of its own: the track keeps its bitrate
// unless api's interceptors do something about it. WithSettingEngine is
// the way to restrict interfaces or ports and keep congestion control.
func WithAPI(api *webrtc.API) WHEPOption { return func(w *WHEP) { w.api = api } }

// WithSettingEngine makes the handler's peer connections with se (which
// interfaces, ports and candidates ICE uses; see LoopbackSettings).
func WithSettingEngine(se webrtc.SettingEngine) WHEPOption {
	return func(w *WHEP) { w.se = &se }
}

// WithFixedWHEPBitrate keeps the track at its configured bitrate whatever
// the viewers' links carry: when one cannot keep up, frames are dropped
// (counted as backend.DropNetwork; see VideoTrack.Run) instead.
func WithFixedWHEPBitrate() WHEPOption { return func(w *WHEP) { w.fixed = true } }

// WithConfiguration sets the peer connections' configuration (ICE servers).
func WithConfiguration(c webrtc.Configuration) WHEPOption { return func(w *WHEP) { w.cfg = c } }

// NewWHEP returns a handler serving t. Unless WithFixedWHEPBitrate or
// WithAPI is given, the handler drives t's bitrate from then on (see
// WHEP) until Close.
func NewWHEP(t *VideoTrack, opts ...WHEPOption) *WHEP {
	w := &WHEP{track: t, sessions: map[string]*whepSession{}}
	for _, o := range opts {
		o(w)
	}
	if w.controls() {
		t.setShare(w.videoShare)
	}
	return w
}

// controls reports whether the handler's congestion control drives the
// track's bitrate.
func (w *WHEP) controls() bool { return w.api == nil && !w.fixed }

// videoShare is the track's bitrate: the lowest estimate among the
// sessions that send, within the track's range; ceil while none does.
func (w *WHEP) videoShare(ceil int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	low := 0
	for _, s := range w.sessions {
		if e := s.est.Load(); e != nil {
			if b := e.GetTargetBitrate(); low == 0 || b < low {
				low = b
			}
		}
	}
	return share(low, 0, ceil, ceil)
}

// newAPI is the API of a new session s's peer connection: pion's default
// codecs and interceptors (NACK, RTCP reports, transport-wide feedback)
// plus, unless the bitrate is fixed, congestion control telling s its
// estimate.
func (w *WHEP) newAPI(s *whepSession) (*webrtc.API, error) {
	if w.api != nil {
		return w.api, nil
	}
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if !w.fixed {
		ceil := w.track.ceil
		ints, err := ccInterceptors(ceil, min(minVideoBitrate, ceil), s.est.Store)
		if err != nil {
			return nil, err
		}
		for _, f := range ints {
			ir.Add(f)
		}
	}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	opts := []func(*webrtc.API){webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir)}
	if w.se != nil {
		opts = append(opts, webrtc.WithSettingEngine(*w.se))
	}
	return webrtc.NewAPI(opts...), nil
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
		s := w.sessions[id]
		delete(w.sessions, id)
		w.mu.Unlock()
		if s == nil {
			http.Error(rw, "no such session", http.StatusNotFound)
			return
		}
		s.pc.Close()
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
	sess := &whepSession{}
	api, err := w.newAPI(sess)
	if err != nil {
		return "", "", fmt.Errorf("publish: %w", err)
	}
	pc, err := api.NewPeerConnection(w.cfg)
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
	sess.pc = pc
	w.sessions[id] = sess
	w.mu.Unlock()
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			// The keyframe sent when the track was bound went out before
			// DTLS was up on a slow machine: send one the receiver gets.
			w.track.forceKey()
		}
		if s == webrtc.PeerConnectionStateFailed || s == webrtc.PeerConnectionStateClosed {
			w.mu.Lock()
			if w.sessions[id] == sess {
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
	ss := w.sessions
	w.sessions = map[string]*whepSession{}
	w.mu.Unlock()
	if w.controls() {
		w.track.setShare(nil)
	}
	for _, s := range ss {
		s.pc.Close()
	}
	return nil
}

// LoopbackAPI is a webrtc API whose peer connections use only the loopback
// interface (UDP over IPv4, no mDNS): for previews on the same machine and
// for tests, where nothing should leave the host.
// It has pion's default codecs and interceptors, and no congestion
// control.
func LoopbackAPI() *webrtc.API {
	return webrtc.NewAPI(webrtc.WithSettingEngine(LoopbackSettings()))
}

// LoopbackSettings are the settings of LoopbackAPI: ICE on the loopback
// interface only, UDP over IPv4, no mDNS. For a WHEP handler that serves
// this machine only and keeps congestion control, pass them with
// WithSettingEngine.
func LoopbackSettings() webrtc.SettingEngine {
	var se webrtc.SettingEngine
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return se
}
