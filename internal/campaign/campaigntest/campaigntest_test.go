package campaigntest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// replays finds the fail files rapid would replay before a test's first
// check, named as rapid names them (a subtest's / and other characters
// as _), and no other test's.
func TestReplays(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Run("ext4 tasks", func(t *testing.T) {
		if got := replays(t.Name()); len(got) != 0 {
			t.Fatalf("no fail files yet: %v", got)
		}
		dir := filepath.Join("testdata", "rapid", "TestReplays_ext4_tasks")
		want := filepath.Join(dir, "TestReplays_ext4_tasks-20261207145411-29439.fail")
		for _, f := range []string{want, filepath.Join(dir, "TestReplays_ext4_tasks.txt"), filepath.Join("testdata", "rapid", "TestReplays_ext4", "TestReplays_ext4-1-2.fail")} {
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := replays(t.Name()); !slices.Equal(got, []string{want}) {
			t.Errorf("replays(%q) = %v, want [%s]", t.Name(), got, want)
		}
	})
}
