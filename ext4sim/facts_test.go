package ext4sim_test

import (
	"fmt"
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// Reference: docs/linux-semantics.md §7 fact 12, the ext4 half (EXT4_LINK_MAX):
// the link that would take nlink past 65000 fails with EMLINK and nlink
// stays 65000; unlinking one name makes room for one more. (The tmpfs half
// is vfs's TestFact12LinkLimits, the btrfs half btrfssim's.)
func TestFact12EMLINKAt65000(t *testing.T) {
	m := machine(t, vfs.Upstream, "")
	tk := m.Init()
	fd := vfstest.Open(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	// Spread the names over directories: one directory of 65000 names
	// would be a test of the directory code instead.
	for i := 0; i < 65; i++ {
		if err := tk.Mkdir(fmt.Sprintf("/mnt/d%d", i), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < 65000; i++ {
		if err := tk.Link("/mnt/f", fmt.Sprintf("/mnt/d%d/l%d", i%65, i)); err != nil {
			t.Fatalf("link %d: %v", i, err)
		}
	}
	vfstest.WantLinkLimit(t, tk, fd, "/mnt/f", 65000, "/mnt/d1/l1")
	vfstest.Must(t, tk.Close(fd))
	vfstest.Finish(t, m.K)
}
