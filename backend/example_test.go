package backend_test

import (
	"errors"
	"fmt"

	"github.com/miniav-go/miniav/backend"
)

func ExampleSplitID() {
	for _, id := range []string{"v4l2:/dev/video0", "x11::0/window/0x400001", "testsrc:microphone?freq=1000", "nocolon"} {
		scheme, addr, err := backend.SplitID(id)
		fmt.Printf("%q %q %v\n", scheme, addr, errors.Is(err, backend.ErrNotFound))
	}
	// Output:
	// "v4l2" "/dev/video0" false
	// "x11" ":0/window/0x400001" false
	// "testsrc" "microphone?freq=1000" false
	// "" "" true
}
