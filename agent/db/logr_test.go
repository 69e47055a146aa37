package db

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestLibovsdbErrorsRateLimited: a server that makes libovsdb fail on each
// of 1,000 updates gets a handful of warnings, not 1,000.
func TestLibovsdbErrorsRateLimited(t *testing.T) {
	var out bytes.Buffer
	lg := libovsdbLogger(slog.New(slog.NewTextHandler(&out, nil))).WithValues("database", "OVN_Southbound")
	for range 1000 {
		lg.Error(errors.New("bad row"), "failed to process update")
	}
	if n := strings.Count(out.String(), "failed to process update"); n == 0 || n > 6 {
		t.Errorf("%d warnings for 1000 errors, want 1..6", n)
	}
}
