//go:build !windows

package backend

import "time"

func now() time.Duration { return time.Since(epoch) }
