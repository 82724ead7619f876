package ext4sim_test

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// TestTranscripts runs the transcripts in testdata/ on ext4sim. Besides
// era= and protected_hardlinks, the kernel command takes
//
//	orphan_file      make the filesystem with -O orphan_file
//	opts=OPTIONS     mount options (sim_commit=handle, sim_cpu=N)
//
// Regenerate with go test ./ext4sim -run TestTranscripts -rewrite.
func TestTranscripts(t *testing.T) {
	script.RunTranscripts(t, "testdata", machineFactory)
}

func machineFactory(opts vfs.Options, args []datadriven.CmdArg) (*script.Machine, error) {
	var mkfs ext4sim.MkfsOptions
	mntOpts := ""
	for _, a := range args {
		switch a.Key {
		case "orphan_file":
			mkfs.OrphanFile = true
		case "opts":
			mntOpts = a.Vals[0]
			for _, v := range a.Vals[1:] {
				mntOpts += "," + v
			}
		default:
			return nil, fmt.Errorf("unknown kernel argument %q", a.Key)
		}
	}
	return script.NewMachineWithOptions(opts, "ext4", mntOpts, ext4sim.Setup(mkfs))
}

var _ = strconv.Itoa
