package vfs

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTmpfsListingKeptFresh: the d_children order a tmpfs directory keeps
// for getdents (tmpfsDir.listing) is, after every kind of change — create,
// link, unlink, rename within and across directories, RENAME_EXCHANGE —
// the order a fresh sort gives. It fails when a change forgets
// tmpfsDir.changed.
func TestTmpfsListingKeptFresh(t *testing.T) {
	k := NewKernel(Options{})
	tk := k.Init()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tk.Mkdir("/a", 0o755))
	must(tk.Mkdir("/b", 0o755))
	dirs := []string{"/a", "/b"}
	rng := rand.New(rand.NewPCG(16, 1))
	name := func() string { return fmt.Sprintf("%s/n%d", dirs[rng.IntN(2)], rng.IntN(12)) }
	kinds := map[string]int{} // ops that succeeded, by kind
	for range 3000 {
		// Every op may fail (EEXIST, ENOENT): what matters is that the
		// kept order follows whatever did change.
		var err error
		var kind string
		switch op := rng.IntN(5); op {
		case 0:
			var fd int
			if fd, err = tk.Open(name(), O_CREAT|O_EXCL|O_RDWR, 0o644); err == nil {
				must(tk.Close(fd))
			}
			kind = "create"
		case 1:
			err = tk.Link(name(), name())
			kind = "link"
		case 2:
			err = tk.Unlink(name())
			kind = "unlink"
		case 3:
			err = tk.Rename(name(), name())
			kind = "rename"
		case 4:
			err = tk.Renameat2(AT_FDCWD, name(), AT_FDCWD, name(), RENAME_EXCHANGE)
			kind = "exchange"
		}
		if err == nil {
			kinds[kind]++
		}
		for _, d := range dirs {
			p, err := tk.lookupPath(AT_FDCWD, d, 0)
			must(err)
			td := dirOf(p.Dentry.inode)
			PathPut(p)
			kept, keptByOff := td.listing()
			kept, keptByOff = slices.Clone(kept), slices.Clone(keptByOff)
			td.changed()
			fresh, freshByOff := td.listing()
			if !slices.Equal(kept, fresh) || !slices.Equal(keptByOff, freshByOff) {
				t.Fatalf("after %v: %s kept %v, fresh %v", kinds, d, kept, fresh)
			}
		}
	}
	t.Logf("ops that succeeded: %v", kinds)
	for _, kind := range []string{"create", "link", "unlink", "rename", "exchange"} {
		if kinds[kind] < 50 {
			t.Errorf("only %d %s ops succeeded: the test changes too little", kinds[kind], kind)
		}
	}
	if err := k.Shutdown(); err != nil {
		t.Fatal(err)
	}
}
