//go:build js && wasm

package webmedia

import (
	"context"
	"syscall/js"
)

type settled struct {
	v   js.Value
	err error
}

// await waits for promise p from a goroutine (never from a js.FuncOf
// callback: the event loop that settles p would be stopped). If ctx ends
// first it returns ctx.Err(); the callbacks stay registered until p
// settles and release themselves then.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	ch := make(chan settled, 1)
	var then, catch js.Func
	release := func() { then.Release(); catch.Release() }
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{v: arg0(args)}
		release()
		return nil
	})
	catch = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{err: jsError(arg0(args))}
		release()
		return nil
	})
	p.Call("then", then, catch)
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// jsError turns a rejection value into a *DOMError.
func jsError(v js.Value) error {
	e := &DOMError{Name: "Error"}
	if v.Type() != js.TypeObject {
		e.Message = v.String()
		return e
	}
	if n := v.Get("name"); n.Type() == js.TypeString {
		e.Name = n.String()
	}
	if m := v.Get("message"); m.Type() == js.TypeString {
		e.Message = m.String()
	}
	if c := v.Get("constraint"); c.Type() == js.TypeString {
		e.Constraint = c.String()
	}
	return e
}

// get walks a property path from the global object, returning undefined
// as soon as a level is missing (Get on undefined panics).
func get(path ...string) js.Value {
	v := js.Global()
	for _, p := range path {
		if t := v.Type(); t != js.TypeObject && t != js.TypeFunction {
			return js.Undefined()
		}
		v = v.Get(p)
	}
	return v
}
