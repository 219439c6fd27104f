package all_test

import (
	"context"
	"testing"

	"github.com/miniav-go/miniav/devices"
	"github.com/miniav-go/miniav/internal/testenv"
)

// On Windows the default display comes from gdi, not pion's screen driver.
func TestDefaultDisplayIsGDI(t *testing.T) {
	d, err := devices.Default(context.Background(), devices.Display)
	if err != nil {
		t.Fatal(err)
	}
	if d.Backend == "testsrc" {
		testenv.Missing(t, "no Windows desktop (under Wine, DISPLAY must name an X server)")
	}
	if d.Backend != "gdi" || d.ID != "gdi:" {
		t.Fatalf("default display %s (%s), want gdi:", d.ID, d.Backend)
	}
}
