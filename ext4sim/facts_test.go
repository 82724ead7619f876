package ext4sim_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/relinksim/relinksim/vfs"
)

// Reference: linux-semantics.md §7 fact 12, the ext4 half (EXT4_LINK_MAX):
// the link that would take nlink past 65000 fails with EMLINK and nlink
// stays 65000; unlinking one name makes room for one more. (The tmpfs half
// is vfs's TestFact12LinkLimits, the btrfs half btrfssim's.)
func TestFact12EMLINKAt65000(t *testing.T) {
	m := machine(t, vfs.Upstream, "")
	tk := m.T.(*vfs.Task)
	fd, err := tk.Open("/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
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
	err = tk.Link("/mnt/f", "/mnt/past")
	if !errors.Is(err, vfs.EMLINK) {
		t.Fatalf("link 65000: %v, want EMLINK", err)
	}
	var le *vfs.LinkError
	if !errors.As(err, &le) {
		t.Errorf("link 65000: %T, want *vfs.LinkError", err)
	}
	st, err := tk.Fstat(fd)
	if err != nil {
		t.Fatal(err)
	}
	if st.Nlink != 65000 {
		t.Errorf("nlink after EMLINK %d, want 65000", st.Nlink)
	}
	if err := tk.Unlink("/mnt/d1/l1"); err != nil {
		t.Fatal(err)
	}
	if err := tk.Link("/mnt/f", "/mnt/past"); err != nil {
		t.Errorf("link after an unlink: %v", err)
	}
	if vs := m.Check(); len(vs) > 0 {
		t.Error(vfs.InvariantError(vs))
	}
	if err := tk.Close(fd); err != nil {
		t.Fatal(err)
	}
	if err := m.K.Shutdown(); err != nil {
		t.Error(err)
	}
}
