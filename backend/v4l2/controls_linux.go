//go:build amd64 || arm64 || riscv64 || loong64

package v4l2

import (
	"context"
	"errors"
	"fmt"
	"math"

	"golang.org/x/sys/unix"

	"github.com/miniav-go/miniav/backend"
	"github.com/miniav-go/miniav/internal/v4l2"
)

// Controls implements backend.Controller: every enabled control of the
// device (control class headers left out), with its current value and,
// for menus, its items.
func (s *source) Controls(ctx context.Context) ([]backend.Control, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("v4l2: %s: controls: %w", s.path, backend.ErrClosed)
	}
	return listControls(ctx, s.fd, s.path)
}

func listControls(ctx context.Context, fd int, path string) ([]backend.Control, error) {
	var out []backend.Control
	id := uint32(0)
	for range maxEnum {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		q := v4l2.QueryExtCtrl{ID: id | v4l2.CtrlFlagNextCtrl | v4l2.CtrlFlagNextCompound}
		if err := v4l2.QueryControl(fd, &q); err != nil {
			if isEnd(err) {
				break
			}
			if errors.Is(err, unix.ENOTTY) && len(out) == 0 {
				return nil, nil // no controls at all
			}
			return out, ctrlErr(path, "QUERY_EXT_CTRL", 0, err)
		}
		id = q.ID
		if q.Flags&v4l2.CtrlFlagDisabled != 0 || q.Type == v4l2.CtrlTypeCtrlClass {
			continue
		}
		c := describeControl(&q)
		if c.Type == backend.ControlMenu || c.Type == backend.ControlIntegerMenu {
			c.Menu = menuItems(fd, &q, c.Type)
		}
		if readable(&q) {
			if v, err := getControl(fd, &q); err == nil {
				c.Value = v
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func describeControl(q *v4l2.QueryExtCtrl) backend.Control {
	c := backend.Control{
		ID:        q.ID,
		Name:      v4l2.CString(q.Name[:]),
		Type:      controlType(q.Type),
		Min:       q.Minimum,
		Max:       q.Maximum,
		Step:      int64(min(q.Step, math.MaxInt64)),
		Default:   q.DefaultValue,
		ReadOnly:  q.Flags&v4l2.CtrlFlagReadOnly != 0,
		WriteOnly: q.Flags&v4l2.CtrlFlagWriteOnly != 0,
		Inactive:  q.Flags&v4l2.CtrlFlagInactive != 0,
		Volatile:  q.Flags&v4l2.CtrlFlagVolatile != 0,
	}
	if q.Flags&v4l2.CtrlFlagHasPayload != 0 || q.Elems > 1 || q.NrOfDims > 0 {
		c.Type = backend.ControlOther
	}
	return c
}

func controlType(t uint32) backend.ControlType {
	switch t {
	case v4l2.CtrlTypeInteger:
		return backend.ControlInteger
	case v4l2.CtrlTypeBoolean:
		return backend.ControlBoolean
	case v4l2.CtrlTypeMenu:
		return backend.ControlMenu
	case v4l2.CtrlTypeIntegerMenu:
		return backend.ControlIntegerMenu
	case v4l2.CtrlTypeButton:
		return backend.ControlButton
	case v4l2.CtrlTypeInteger64:
		return backend.ControlInteger64
	case v4l2.CtrlTypeString:
		return backend.ControlString
	case v4l2.CtrlTypeBitmask:
		return backend.ControlBitmask
	}
	return backend.ControlOther
}

// readable reports whether a control has a scalar value to read.
func readable(q *v4l2.QueryExtCtrl) bool {
	if q.Flags&(v4l2.CtrlFlagWriteOnly|v4l2.CtrlFlagHasPayload) != 0 || q.Elems > 1 || q.NrOfDims > 0 {
		return false
	}
	switch q.Type {
	case v4l2.CtrlTypeButton, v4l2.CtrlTypeString, v4l2.CtrlTypeCtrlClass:
		return false
	}
	return q.Type < v4l2.CtrlTypeCompoundBase
}

// menuItems lists the items of a menu; menus may be sparse.
func menuItems(fd int, q *v4l2.QueryExtCtrl, t backend.ControlType) []backend.MenuItem {
	var items []backend.MenuItem
	if q.Minimum < 0 || q.Maximum-q.Minimum > maxEnum {
		return nil
	}
	for i := q.Minimum; i <= q.Maximum; i++ {
		m := v4l2.QueryMenu{ID: q.ID, Index: uint32(i)}
		if v4l2.QueryMenuItem(fd, &m) != nil {
			continue // a hole in a sparse menu
		}
		it := backend.MenuItem{Index: i}
		if t == backend.ControlIntegerMenu {
			it.Value = m.Value()
		} else {
			it.Name = m.Name()
		}
		items = append(items, it)
	}
	return items
}

// GetControl implements backend.Controller.
func (s *source) GetControl(id uint32) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, fmt.Errorf("v4l2: %s: control %#x: %w", s.path, id, backend.ErrClosed)
	}
	q, err := s.query(id)
	if err != nil {
		return 0, err
	}
	if !readable(&q) {
		return 0, fmt.Errorf("v4l2: %s: control %#x (%s) has no readable value: %w", s.path, id, v4l2.CString(q.Name[:]), backend.ErrNotSupported)
	}
	v, err := getControl(s.fd, &q)
	if err != nil {
		return 0, ctrlErr(s.path, "G_EXT_CTRLS", id, err)
	}
	return v, nil
}

// SetControl implements backend.Controller. A button is pressed whatever
// the value.
func (s *source) SetControl(id uint32, value int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("v4l2: %s: control %#x: %w", s.path, id, backend.ErrClosed)
	}
	q, err := s.query(id)
	if err != nil {
		return err
	}
	name := v4l2.CString(q.Name[:])
	if q.Flags&v4l2.CtrlFlagReadOnly != 0 {
		return fmt.Errorf("v4l2: %s: control %#x (%s) is read-only: %w", s.path, id, name, backend.ErrPermissionDenied)
	}
	if controlType(q.Type) == backend.ControlOther || q.Type == v4l2.CtrlTypeString ||
		q.Flags&v4l2.CtrlFlagHasPayload != 0 || q.Elems > 1 || q.NrOfDims > 0 {
		return fmt.Errorf("v4l2: %s: control %#x (%s) takes no integer value: %w", s.path, id, name, backend.ErrNotSupported)
	}
	c := v4l2.ExtControl{ID: id}
	if q.Type == v4l2.CtrlTypeInteger64 {
		c.SetValue64(value)
	} else {
		if q.Type == v4l2.CtrlTypeButton {
			value = 1
		}
		if value < math.MinInt32 || value > math.MaxUint32 || value > math.MaxInt32 && q.Type != v4l2.CtrlTypeBitmask {
			return fmt.Errorf("v4l2: %s: control %#x (%s): value %d out of range: %w", s.path, id, name, value, backend.ErrNotSupported)
		}
		c.SetValue32(int32(uint32(value)))
	}
	err = v4l2.SetExtCtrl(s.fd, &c)
	if errors.Is(err, unix.ENOTTY) && q.Type != v4l2.CtrlTypeInteger64 {
		err = v4l2.SetCtrl(s.fd, &v4l2.Control{ID: id, Value: c.Value32()})
	}
	if err != nil {
		return ctrlErr(s.path, "S_EXT_CTRLS", id, err)
	}
	return nil
}

// query describes the control id exactly.
func (s *source) query(id uint32) (v4l2.QueryExtCtrl, error) {
	q := v4l2.QueryExtCtrl{ID: id}
	if err := v4l2.QueryControl(s.fd, &q); err != nil {
		if isEnd(err) {
			return q, fmt.Errorf("v4l2: %s: no control %#x: %w", s.path, id, backend.ErrNotFound)
		}
		return q, ctrlErr(s.path, "QUERY_EXT_CTRL", id, err)
	}
	if q.Flags&v4l2.CtrlFlagDisabled != 0 {
		return q, fmt.Errorf("v4l2: %s: control %#x is disabled: %w", s.path, id, backend.ErrNotSupported)
	}
	return q, nil
}

func getControl(fd int, q *v4l2.QueryExtCtrl) (int64, error) {
	c := v4l2.ExtControl{ID: q.ID}
	err := v4l2.GetExtCtrl(fd, &c)
	if errors.Is(err, unix.ENOTTY) && q.Type != v4l2.CtrlTypeInteger64 {
		old := v4l2.Control{ID: q.ID}
		if err = v4l2.GetCtrl(fd, &old); err == nil {
			c.SetValue32(old.Value)
		}
	}
	if err != nil {
		return 0, err
	}
	switch q.Type {
	case v4l2.CtrlTypeInteger64:
		return c.Value64(), nil
	case v4l2.CtrlTypeBitmask:
		return int64(uint32(c.Value32())), nil
	}
	return int64(c.Value32()), nil
}

// ctrlErr maps the errors of control ioctls.
func ctrlErr(path, op string, id uint32, err error) error {
	switch {
	case errors.Is(err, unix.EACCES):
		return fmt.Errorf("v4l2: %s: %s %#x: %v: %w", path, op, id, err, backend.ErrPermissionDenied)
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ERANGE):
		return fmt.Errorf("v4l2: %s: %s %#x: %v: %w", path, op, id, err, backend.ErrNotSupported)
	}
	return ioErr(path, fmt.Sprintf("%s %#x", op, id), err)
}
