package vfs_test

import (
	"strings"
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// clone with CLONE_FILES shares the descriptor table: a descriptor one task
// opens or closes is opened or closed for the other; without it the child
// has a copy. CLONE_FS shares root, cwd and umask the same way.
func TestCloneSharesTablesAndFSStruct(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(t, tk, "/mnt")
	fd := vfstest.Open(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)

	shared, err := tk.Clone(vfs.CLONE_FILES | vfs.CLONE_FS)
	vfstest.Must(t, err)
	copied, err := tk.Clone(0)
	vfstest.Must(t, err)
	if tk.Files() != shared.Files() || tk.FSStruct() != shared.FSStruct() {
		t.Fatal("CLONE_FILES|CLONE_FS did not share")
	}
	if tk.Files() == copied.Files() || tk.FSStruct() == copied.FSStruct() {
		t.Fatal("clone without flags shared")
	}
	if got := tk.Files().Users(); got != 2 {
		t.Errorf("shared table has %d users, want 2", got)
	}
	fd2 := vfstest.Open(t, shared, "/mnt/g", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	if _, err := tk.Fstat(fd2); err != nil {
		t.Errorf("a descriptor the sharing task opened: %v", err)
	}
	if _, err := copied.Fstat(fd2); err == nil {
		t.Error("the copy sees a descriptor opened after the clone")
	}
	vfstest.Must(t, shared.Chdir("/mnt"))
	if _, err := tk.Stat("f"); err != nil {
		t.Errorf("chdir through a shared fs_struct did not move the other task: %v", err)
	}
	if _, err := copied.Stat("f"); err == nil {
		t.Error("chdir moved a task with its own fs_struct")
	}
	vfstest.Must(t, copied.Close(fd))
	if _, err := tk.Fstat(fd); err != nil {
		t.Errorf("closing the copy's descriptor closed the original: %v", err)
	}
	_, err = tk.Clone(vfs.CLONE_NEWNS | vfs.CLONE_FS)
	vfstest.WantErrno(t, "CLONE_NEWNS|CLONE_FS", err, vfs.EINVAL)
	_, err = tk.Clone(vfs.CLONE_NEWNS)
	vfstest.WantErrno(t, "CLONE_NEWNS without namespace operations", err, vfs.EINVAL)
	vfstest.Check(t, k)
	shared.Exit()
	copied.Exit()
	if got := tk.Files().Users(); got != 1 {
		t.Errorf("after exits the table has %d users, want 1", got)
	}
}

// unshare(CLONE_FILES|CLONE_FS) gives a task its own copies.
func TestUnshareFilesAndFS(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{})
	tk := k.Init()
	c, err := tk.Clone(vfs.CLONE_FILES | vfs.CLONE_FS)
	vfstest.Must(t, err)
	vfstest.Must(t, c.Unshare(vfs.CLONE_FILES|vfs.CLONE_FS))
	if c.Files() == tk.Files() || c.FSStruct() == tk.FSStruct() {
		t.Error("unshare kept the shared structures")
	}
	vfstest.WantErrno(t, "unshare(CLONE_NEWNS) without namespace operations", c.Unshare(vfs.CLONE_NEWNS), vfs.EINVAL)
	vfstest.WantErrno(t, "setns without namespace operations", c.Setns(0, 0), vfs.EINVAL)
	c.Exit()
}

// dup2 and dup3 as Linux: onto an open descriptor (closing it), beyond the
// table, onto itself (dup2 only), with bad flags or numbers.
func TestDup2Dup3(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(t, tk, "/mnt")
	a := vfstest.Open(t, tk, "/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	b := vfstest.Open(t, tk, "/mnt/b", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	if fd, err := tk.Dup2(a, b); err != nil || fd != b {
		t.Fatalf("dup2 onto an open descriptor: %d, %v", fd, err)
	}
	sa, _ := tk.Fstat(a)
	sb, _ := tk.Fstat(b)
	if sa.Ino != sb.Ino {
		t.Error("dup2 did not make b a descriptor of a's file")
	}
	if fd, err := tk.Dup2(a, 40); err != nil || fd != 40 {
		t.Errorf("dup2 beyond the table: %d, %v", fd, err)
	}
	if fd, err := tk.Dup2(a, a); err != nil || fd != a {
		t.Errorf("dup2 onto itself: %d, %v", fd, err)
	}
	_, err := tk.Dup2(77, 5)
	vfstest.WantErrno(t, "dup2 of a closed descriptor", err, vfs.EBADF)
	_, err = tk.Dup2(a, -1)
	vfstest.WantErrno(t, "dup2 onto -1", err, vfs.EBADF)
	_, err = tk.Dup2(a, 1<<20)
	vfstest.WantErrno(t, "dup2 past RLIMIT_NOFILE", err, vfs.EBADF)
	_, err = tk.Dup3(a, a, 0)
	vfstest.WantErrno(t, "dup3 onto itself", err, vfs.EINVAL)
	_, err = tk.Dup3(a, 41, 1)
	vfstest.WantErrno(t, "dup3 with bad flags", err, vfs.EINVAL)
	if _, err := tk.Dup3(a, 41, vfs.O_CLOEXEC); err != nil {
		t.Errorf("dup3 with O_CLOEXEC: %v", err)
	}
	// The next open takes the lowest free number, below the dup2 targets.
	if fd := vfstest.Open(t, tk, "/mnt/c", vfs.O_CREAT|vfs.O_RDWR, 0o644); fd != b+1 {
		t.Errorf("next open got %d, want %d", fd, b+1)
	}
}

// V16 and V17 see an fs_struct or descriptor table whose count does not
// match its tasks, and the leak check names a leaked one.
func TestSharedStructuresAreAccounted(t *testing.T) {
	k := vfs.NewKernel(vfs.Options{})
	tk := k.Init()
	c, err := tk.Clone(vfs.CLONE_FILES)
	vfstest.Must(t, err)
	if vs := k.CheckInvariants(); len(vs) != 0 {
		t.Fatalf("invariants: %v", vfs.InvariantError(vs))
	}
	c.Exit()
	live := k.LiveObjects()
	var kinds []string
	for _, o := range live {
		if o.Kind == "fs_struct" || o.Kind == "files_struct" {
			kinds = append(kinds, o.Kind)
		}
	}
	if strings.Join(kinds, " ") != "fs_struct files_struct" {
		t.Errorf("live shared structures after the clone's exit: %v, want init's fs_struct and files_struct", kinds)
	}
	if err := k.Shutdown(); err != nil {
		t.Errorf("leak check: %v", err)
	}
}
