package backend

import "context"

// ControlType is the kind of value a device control takes.
type ControlType uint8

// Control types.
const (
	ControlInteger ControlType = iota + 1
	ControlBoolean
	ControlMenu
	ControlIntegerMenu
	ControlButton
	ControlInteger64
	ControlString
	ControlBitmask
	ControlOther // compound and array controls: listed, not settable through Controller
)

var controlTypeNames = [...]string{"", "integer", "boolean", "menu", "integer-menu", "button", "integer64", "string", "bitmask", "other"}

func (t ControlType) String() string {
	if int(t) < len(controlTypeNames) && t != 0 {
		return controlTypeNames[t]
	}
	return "unknown"
}

// MenuItem is one choice of a menu control.
type MenuItem struct {
	Index int64
	Name  string // for ControlMenu
	Value int64  // for ControlIntegerMenu
}

// Control describes one device control: brightness, exposure, an auto
// mode, a menu.
type Control struct {
	ID                      uint32
	Name                    string
	Type                    ControlType
	Min, Max, Step, Default int64
	Value                   int64 // current value when listed (0 for write-only controls)
	Menu                    []MenuItem
	ReadOnly, WriteOnly     bool
	Inactive                bool // e.g. a manual setting while its auto mode is on
	Volatile                bool // the device changes it by itself
}

// Controller is implemented by sources whose device has controls.
type Controller interface {
	Controls(ctx context.Context) ([]Control, error)
	// GetControl returns a control's current value.
	GetControl(id uint32) (int64, error)
	// SetControl sets a control. Values out of range are clamped or refused
	// by the device; read back with GetControl to learn what it chose.
	SetControl(id uint32, value int64) error
}
