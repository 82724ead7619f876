package ckpt_test

import (
	"testing"

	"github.com/relinksim/relinksim/internal/campaign/campaigntest"
)

// The shards of the checkpoint campaigns run exactly their scripts: each
// campaign below, run whole and as shards 0/4 to 3/4 in child test
// processes (-rapid.seed=7, 24 scripts a case), every script of the
// whole — its cut script, and for the faults the calls that fail — is in
// exactly one shard, the one its index names, and no shard runs one the
// whole does not; the shards' summary lines merge into exactly the
// whole's (campaigntest.CheckPartition). Two cases of the invisibility
// campaign in one run (their summaries merge apart), and the fault
// campaign with tasks.
func TestShardsPartitionTheCampaigns(t *testing.T) {
	for _, c := range []struct{ name, run string }{
		{"invisible", "^TestCheckpointIsInvisible$/^(tmpfs|ext4-relink2011)$"},
		{"faults", "^TestFaultsAreHarmless$/^btrfs-tasks$"},
	} {
		t.Run(c.name, func(t *testing.T) {
			campaigntest.CheckPartition(t, c.run, 7, 24, 4)
		})
	}
}
