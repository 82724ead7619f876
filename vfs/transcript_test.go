package vfs_test

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// TestTranscripts runs the lab-notebook transcripts in testdata/ on tmpfs
// (see script.RunTranscripts for the commands). Regenerate them with
//
//	go test ./vfs -run TestTranscripts -rewrite
//
// and review the diff.
func TestTranscripts(t *testing.T) {
	script.RunTranscripts(t, "testdata", func(opts vfs.Options, args []datadriven.CmdArg) (*script.Machine, error) {
		if len(args) > 0 {
			return nil, fmt.Errorf("unknown kernel argument %q", args[0].Key)
		}
		return script.NewMachine(opts, "tmpfs", nil)
	})
}
