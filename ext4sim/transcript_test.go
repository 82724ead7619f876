package ext4sim_test

import (
	"testing"

	"github.com/relinksim/relinksim/script/scripttest"
)

// TestTranscripts runs the lab-notebook transcripts in testdata/ on
// ext4sim: the kernel command takes orphan_file (mkfs.ext4 -O orphan_file)
// and opts=... (mount options), as scripttest.Registry reads them.
// Regenerate them with -rewrite and review the diff.
func TestTranscripts(t *testing.T) {
	scripttest.RunTranscripts(t, "testdata", "ext4")
}
