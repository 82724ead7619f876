package btrfssim_test

import (
	"testing"

	"github.com/relinksim/relinksim/script/scripttest"
)

// TestTranscripts runs the lab-notebook transcripts in testdata/ on
// btrfssim. Regenerate them with -rewrite and review the diff.
func TestTranscripts(t *testing.T) {
	scripttest.RunTranscripts(t, "testdata", "btrfs")
}
