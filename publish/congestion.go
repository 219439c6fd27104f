package publish

import (
	"fmt"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/twcc"
)

// minVideoBitrate is the least congestion control gives a video track:
// below it VP8 at any size is a slideshow of blocks.
const minVideoBitrate = 150_000

// congestion is one participant's bandwidth estimate: Google Congestion
// Control (pion/interceptor's gcc) over the SFU's transport-wide
// congestion control feedback, shared out to the participant's video
// tracks. Audio keeps its bitrate; the video tracks share what is left in
// proportion to the bitrates they were configured with, which are also
// their ceilings.
type congestion struct {
	audio    int // the audio tracks' bitrates, together
	videoMax int // the video tracks' configured bitrates, together
	videos   int // how many video tracks

	// sender is the estimator of the peer connection that sends: the
	// SDK's subscriber connection gets one too, which never hears
	// feedback.
	sender atomic.Pointer[estimator]
}

// An estimator is gcc's, calling sending when its peer connection starts
// sending: a peer connection that only receives never hears feedback, and
// its estimate means nothing.
type estimator struct {
	*gcc.SendSideBWE
	sending func(*estimator)
}

func (e *estimator) AddStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	e.sending(e)
	return e.SendSideBWE.AddStream(info, w)
}

// newCongestion sizes the estimate for video tracks configured with the
// bitrates video and audio tracks with audio.
func newCongestion(video, audio []int) *congestion {
	c := &congestion{videos: len(video)}
	for _, b := range video {
		c.videoMax += b
	}
	for _, b := range audio {
		c.audio += b
	}
	return c
}

// interceptors are what a peer connection needs for it (see
// ccInterceptors): the estimate starts at, and never exceeds, the
// configured bitrates; the link is trusted until it says otherwise.
func (c *congestion) interceptors() ([]interceptor.Factory, error) {
	top := c.audio + c.videoMax
	return ccInterceptors(top, min(c.audio+c.videos*minVideoBitrate, top), c.sender.Store)
}

// ccInterceptors are the interceptors of congestion control for one peer
// connection: gcc's estimator between floor and top bit/s (starting at
// top; sending is called with it when the connection starts sending),
// and outside it the interceptor that numbers every packet with the
// transport-wide sequence extension the receiver's feedback refers to.
func ccInterceptors(top, floor int, sending func(*estimator)) ([]interceptor.Factory, error) {
	f, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		b, err := gcc.NewSendSideBWE(
			gcc.SendSideBWEInitialBitrate(top),
			gcc.SendSideBWEMinBitrate(floor),
			gcc.SendSideBWEMaxBitrate(top),
			gcc.SendSideBWEPacer(gcc.NewNoOpPacer()), // the encoder's rate is the pacing
		)
		if err != nil {
			return nil, err
		}
		return &estimator{SendSideBWE: b, sending: sending}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("publish: congestion control: %w", err)
	}
	h, err := twcc.NewHeaderExtensionInterceptor()
	if err != nil {
		return nil, fmt.Errorf("publish: congestion control: %w", err)
	}
	// The first factory is innermost: the sequence numbers are written
	// before the estimator notes what was sent.
	return []interceptor.Factory{f, h}, nil
}

// estimate is the sending connection's estimate in bits per second, 0
// while there is none.
func (c *congestion) estimate() int {
	if e := c.sender.Load(); e != nil {
		return e.GetTargetBitrate()
	}
	return 0
}

// videoShare is the bitrate of a video track configured with ceil (see
// share).
func (c *congestion) videoShare(ceil int) int {
	return share(c.estimate(), c.audio, c.videoMax, ceil)
}

// share is a video track's part of the estimate est (bit/s; 0 for none
// yet) once audio has its bitrate, in proportion to its ceiling ceil among
// the video tracks' videoMax: at least minVideoBitrate (or ceil, if lower)
// and at most ceil.
func share(est, audio, videoMax, ceil int) int {
	if est == 0 || videoMax == 0 {
		return ceil
	}
	b := int(int64(est-audio) * int64(ceil) / int64(videoMax))
	return min(ceil, max(b, minVideoBitrate))
}
