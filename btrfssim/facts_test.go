package btrfssim_test

import (
	"fmt"
	"testing"

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

func newMachine(t *testing.T) *script.Machine {
	t.Helper()
	m, err := script.NewMachine(vfs.Options{}, "btrfs", btrfssim.Setup(btrfssim.MkfsOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Reference: docs/linux-semantics.md §7 fact 11: a link or rename between two
// subvolumes of one mount is EXDEV (btrfs_link and btrfs_rename compare
// the roots; the VFS sees one vfsmount), and so is linking an O_TMPFILE
// inode made in one subvolume into another. Within a subvolume both work.
func TestFact11CrossSubvolumeEXDEV(t *testing.T) {
	m := newMachine(t)
	ops, err := script.Parse(`subvol s
open f creat,rdwr -> F
open s/g creat,rdwr -> G
link f s/f2
link s/g g2
rename s/g g3
rename f s/f3
open s rdwr,tmpfile -> T
linkat-empty T t
linkat-proc T t
linkat-empty T s/t
link f f4
rename s/g s/g5
close F
close G
close T`)
	if err != nil {
		t.Fatal(err)
	}
	steps := m.Run(ops)
	want := map[string]string{
		"link f s/f2": "EXDEV", "link s/g g2": "EXDEV", "rename s/g g3": "EXDEV", "rename f s/f3": "EXDEV",
		"linkat-empty T t": "EXDEV", "linkat-proc T t": "EXDEV",
	}
	for _, st := range steps {
		if st.Errno != want[st.Op] {
			t.Errorf("%s: errno %q, want %q", st.Op, st.Errno, want[st.Op])
		}
	}
	vfstest.Finish(t, m.K)
}

// Reference: docs/linux-semantics.md §7 fact 12, the btrfs half
// (BTRFS_LINK_MAX): the link past nlink 65535 fails with EMLINK, nlink
// stays 65535, and one unlink makes room for one more link.
func TestFact12EMLINKAt65535(t *testing.T) {
	m := newMachine(t)
	tk := m.Init()
	fd := vfstest.Open(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	for i := 1; i < 65535; i++ {
		if err := tk.Link("/mnt/f", fmt.Sprintf("/mnt/l%d", i)); err != nil {
			t.Fatalf("link %d: %v", i, err)
		}
	}
	vfstest.WantLinkLimit(t, tk, fd, "/mnt/f", 65535, "/mnt/l1")
	vfstest.Must(t, tk.Close(fd))
	vfstest.Finish(t, m.K)
}
