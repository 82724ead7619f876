package scriptgen

import (
	"testing"

	_ "github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/script"
)

// standIn recognises the stand-in for a nested subvolume seen through a
// snapshot (so the generator never exchanges two of them), and nothing
// else: not the nested subvolume itself, nor a plain directory.
func TestGenRecognisesStandIns(t *testing.T) {
	g := NewGen(GenConfig{FS: "btrfs", Btrfs: true})
	ops, err := script.Parse("subvol a\nsubvol z\nmkdir d\nsnapshot . s")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range g.m.Run(ops) {
		if st.Errno != "" {
			t.Fatalf("%s: %s", st.Op, st.Errno)
		}
	}
	for _, c := range []struct {
		path string
		want bool
	}{{"s/a", true}, {"s/z", true}, {"a", false}, {"s/d", false}, {"d", false}, {"s", false}, {"missing", false}} {
		if got := g.standIn(c.path); got != c.want {
			t.Errorf("standIn(%q) = %v, want %v", c.path, got, c.want)
		}
	}
	if err := g.m.K.Shutdown(); err != nil {
		t.Error(err)
	}
}
