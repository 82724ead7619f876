package btrfssim_test

import (
	"fmt"

	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// TestTranscripts runs the transcripts in testdata/ on btrfssim (the kernel
// command takes era= and protected_hardlinks). Regenerate with
//
//	go test ./btrfssim -run TestTranscripts -rewrite
func TestTranscripts(t *testing.T) {
	script.RunTranscripts(t, "testdata", machineFactory)
}

func machineFactory(opts vfs.Options, args []datadriven.CmdArg) (*script.Machine, error) {
	for _, a := range args {
		return nil, fmt.Errorf("unknown kernel argument %q", a.Key)
	}
	return script.NewMachine(opts, "btrfs", btrfssim.Setup(btrfssim.MkfsOptions{}))
}
