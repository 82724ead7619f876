package ckpt_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/script"
)

// TestCutRegressions replays the cut scripts in testdata/cuts — shrunk
// counterexamples of TestCheckpointIsInvisible and TestFaultsAreHarmless,
// pasted as the properties print them — with the properties' own check:
// the ops before "checkpoint" run on two machines, one is checkpointed,
// killed and restarted, then both run the ops after "restart" and must
// agree step by step but for doc.go's divergences. The first line names
// the case ("# case: ext4-tasks").
func TestCutRegressions(t *testing.T) {
	paths, err := filepath.Glob("testdata/cuts/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cut scripts in testdata/cuts: %v", err)
	}
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".txt"), func(t *testing.T) {
			src, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			name, ok := strings.CutPrefix(strings.SplitN(string(src), "\n", 2)[0], "# case: ")
			var c *fsCase
			for i := range invisibleCases {
				if invisibleCases[i].name == name {
					c = &invisibleCases[i]
				}
			}
			if !ok || c == nil {
				t.Fatalf("%s: the first line must be \"# case: NAME\" naming one of the properties' cases", p)
			}
			ops, err := script.Parse(string(src))
			if err != nil {
				t.Fatal(err)
			}
			cut, restart := -1, -1
			for i, op := range ops {
				switch op.Name {
				case "checkpoint":
					cut = i
				case "restart":
					restart = i
				}
			}
			if cut < 0 || restart != cut+2 || ops[cut+1].Name != "kill" {
				t.Fatalf("%s: want the cut as the properties print it: checkpoint, kill, restart", p)
			}
			a, b := startRuns(t, *c, faultScript{name, ops[:cut], ops[restart+1:]})
			rec, failed := checkpointCut(t, *c, b, nil)
			if failed != "" {
				t.Fatalf("the checkpoint or restart failed: %s", failed)
			}
			continueAndCompare(t, a, b, ops[restart+1:], cut, rec)
		})
	}
}
