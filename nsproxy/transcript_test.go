package nsproxy_test

import (
	"testing"

	_ "github.com/relinksim/relinksim/ext4sim"
	_ "github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/script/scripttest"
)

// TestTranscripts runs the lab-notebook transcripts in testdata/ on ext4
// with namespace operations. Regenerate them with -rewrite and review the
// diff.
func TestTranscripts(t *testing.T) {
	scripttest.RunTranscripts(t, "testdata", "ext4")
}
