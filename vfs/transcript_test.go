package vfs_test

import (
	"testing"

	"github.com/relinksim/relinksim/script/scripttest"
)

// TestTranscripts runs the lab-notebook transcripts in testdata/ on tmpfs
// (see scripttest.RunTranscriptsWith for the commands). Regenerate them
// with
//
//	go test ./vfs -run TestTranscripts -rewrite
//
// and review the diff.
func TestTranscripts(t *testing.T) {
	scripttest.RunTranscripts(t, "testdata", "tmpfs")
}
