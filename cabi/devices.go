//go:build cgo

package main

/*
#define MINIAV_NO_PROTOTYPES
#include <stdlib.h>
#include "miniav.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/miniav-go/miniav/devices"
)

// listTimeout bounds device enumeration, so a hung audio server cannot
// hang the caller.
const listTimeout = 10 * time.Second

// jsonDevice is one element of miniav_devices_json's array.
type jsonDevice struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Kind    string            `json:"kind"`
	Backend string            `json:"backend"`
	Default bool              `json:"default"`
	Formats []string          `json:"formats"`
	Attrs   map[string]string `json:"attrs,omitempty"`
}

// toJSON describes d as miniav_devices_json and miniav_watch_next do.
func toJSON(d devices.Device) jsonDevice {
	j := jsonDevice{ID: d.ID, Name: d.Name, Kind: d.Kind.String(), Backend: d.Backend, Default: d.Default, Attrs: d.Attrs, Formats: []string{}}
	for _, v := range d.Video {
		j.Formats = append(j.Formats, v.String())
	}
	for _, a := range d.Audio {
		j.Formats = append(j.Formats, a.String())
	}
	return j
}

// cJSON returns b as a NUL-terminated C string the caller frees with
// miniav_free.
func cJSON(b []byte) *C.char { return (*C.char)(C.CBytes(append(b, 0))) }

//export miniav_devices_json
func miniav_devices_json(out **C.char) C.int {
	if out == nil {
		return failf(errInvalid, "miniav_devices_json: out is NULL")
	}
	*out = nil
	ctx, cancel := context.WithTimeout(context.Background(), listTimeout)
	defer cancel()
	list, err := devices.List(ctx)
	if err != nil && len(list) == 0 {
		return fail(err)
	}
	js := make([]jsonDevice, 0, len(list))
	for _, d := range list {
		js = append(js, toJSON(d))
	}
	b, merr := json.Marshal(js)
	if merr != nil {
		return fail(errors.Join(fmt.Errorf("miniav_devices_json: %w", merr), err))
	}
	*out = cJSON(b)
	return statusOK
}
