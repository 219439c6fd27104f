//go:build cgo && miniav_pionx11

package mediadevices

import "github.com/pion/mediadevices/pkg/driver/screen"

func init() { initializers = append(initializers, screen.Initialize) }
