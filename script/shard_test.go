package script_test

import (
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/internal/campaign/campaigntest"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
)

// The shards of a campaign run exactly its sequences: a campaign of 60
// generated sequences (the kernel differential's generator, seed fixed),
// run whole and as shards 0/4 to 3/4 in child test processes, each
// printing the index and a hash of every sequence it ran: every sequence
// of the whole is in exactly one shard, the one its index names, and no
// shard runs one the whole does not.
func TestShardsPartitionTheCampaign(t *testing.T) {
	if os.Getenv("SHARD_CHILD") == "1" {
		sh, _, _ := campaigntest.Shard(t)
		rapid.Check(t, campaigntest.Property(sh, func(rt *rapid.T, k int) {
			ops := scriptgen.Ops(scriptgen.GenConfig{MinOps: 5, MaxOps: 30, Namespaces: true}).Draw(rt, "ops")
			h := fnv.New64a()
			h.Write([]byte(script.Format(ops)))
			fmt.Printf("SEQ %d %x\n", k, h.Sum64())
		}))
		return
	}
	run := func(shard string) map[int]string {
		cmd := exec.Command(os.Args[0], "-test.run=^TestShardsPartitionTheCampaign$", "-rapid.seed=7", "-rapid.checks=60", "-rapid.nofailfile")
		cmd.Env = append(os.Environ(), "SHARD_CHILD=1", "RELINKSIM_SHARD="+shard, "RELINKSIM_SHARDS=")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("shard %q: %v\n%s", shard, err, out)
		}
		seqs := map[int]string{}
		for _, l := range strings.Split(string(out), "\n") {
			var k int
			var h string
			if n, _ := fmt.Sscanf(l, "SEQ %d %s", &k, &h); n == 2 {
				if _, dup := seqs[k]; dup {
					t.Fatalf("shard %q ran sequence %d twice", shard, k)
				}
				seqs[k] = h
			}
		}
		return seqs
	}
	whole := run("")
	if len(whole) != 60 {
		t.Fatalf("the whole campaign ran %d sequences, want 60", len(whole))
	}
	union := map[int]string{}
	for i := range 4 {
		for k, h := range run(fmt.Sprintf("%d/4", i)) {
			if k%4 != i {
				t.Errorf("shard %d/4 ran sequence %d", i, k)
			}
			if _, dup := union[k]; dup {
				t.Errorf("sequence %d ran in two shards", k)
			}
			union[k] = h
		}
	}
	var diff []string
	for k := range 60 {
		if union[k] != whole[k] {
			diff = append(diff, fmt.Sprintf("%d: whole %q, shards %q", k, whole[k], union[k]))
		}
	}
	sort.Strings(diff)
	if len(union) != len(whole) || len(diff) > 0 {
		t.Errorf("the shards ran %d sequences, the whole %d; differing: %v", len(union), len(whole), diff)
	}
}
