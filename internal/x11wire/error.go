package x11wire

import "fmt"

// Core error codes.
const (
	BadRequest        = 1
	BadValue          = 2
	BadWindow         = 3
	BadPixmap         = 4
	BadAtom           = 5
	BadCursor         = 6
	BadFont           = 7
	BadMatch          = 8
	BadDrawable       = 9
	BadAccess         = 10
	BadAlloc          = 11
	BadColormap       = 12
	BadGContext       = 13
	BadIDChoice       = 14
	BadName           = 15
	BadLength         = 16
	BadImplementation = 17
)

var errNames = [...]string{"", "BadRequest", "BadValue", "BadWindow", "BadPixmap", "BadAtom", "BadCursor", "BadFont", "BadMatch",
	"BadDrawable", "BadAccess", "BadAlloc", "BadColormap", "BadGContext", "BadIDChoice", "BadName", "BadLength", "BadImplementation"}

// Error is an error the X server reported for a request.
type Error struct {
	Code  byte   // error code (core codes above; extensions add their own)
	Major byte   // major opcode of the failed request
	Minor uint16 // minor opcode (extension requests)
	Bad   uint32 // the offending resource id or value
	Seq   uint64 // sequence number of the failed request
}

func (e *Error) Error() string {
	name := fmt.Sprintf("error %d", e.Code)
	if int(e.Code) < len(errNames) && e.Code != 0 {
		name = errNames[e.Code]
	}
	return fmt.Sprintf("x11wire: %s (request %d.%d, value %#x, sequence %d)", name, e.Major, e.Minor, e.Bad, e.Seq)
}
