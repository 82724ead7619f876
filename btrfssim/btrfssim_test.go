package btrfssim_test

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/btrfssim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// btrfssim passes the conformance suite every filesystem runs.
func TestConformance(t *testing.T) {
	vfstest.TestFilesystem(t, vfstest.FSConfig{Type: "btrfs"})
}

// Crash after every transaction commit of generated workloads (with
// subvolumes and snapshots), in every era: mounting the crash image and
// looking into every subvolume leaves no orphan item and no broken
// invariant.
func TestCrashAtEveryCommit(t *testing.T) {
	for _, era := range vfs.Eras {
		t.Run(era.String(), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				setup := btrfssim.Setup(btrfssim.MkfsOptions{})
				gen := scriptgen.GenConfig{MinOps: 10, MaxOps: 50, Era: era, FS: "btrfs", Setup: setup, Btrfs: true}
				ops := scriptgen.Ops(gen).Draw(rt, "ops")
				m, err := script.NewMachine(vfs.Options{Era: era}, "btrfs", setup)
				if err != nil {
					rt.Fatal(err)
				}
				dev := btrfssim.FS(m.Superblock()).Device()
				var crashes []*btrfssim.Device
				var at []int
				step := 0
				dev.OnCommit = func(d *btrfssim.Device) {
					crashes = append(crashes, d.Crash(d.Name()))
					at = append(at, step)
				}
				for i, op := range ops {
					step = i + 1
					m.Step(op)
				}
				if err := m.K.Shutdown(); err != nil {
					rt.Fatal(err)
				}
				for i, c := range crashes {
					what := "unmount"
					if at[i] > 0 && at[i] <= len(ops) {
						what = fmt.Sprintf("op %d, %q", at[i], ops[at[i]-1].String())
					}
					if msg := recoverAndCheck(era, c); msg != "" {
						rt.Fatalf("crash after commit %d (%s): %s", i+1, what, msg)
					}
				}
			})
		})
	}
}

// recoverAndCheck mounts a crash image on a fresh kernel, walks the whole
// tree (which cleans every subvolume it enters) and returns what is wrong
// ("" for nothing).
func recoverAndCheck(era vfs.Era, dev *btrfssim.Device) string {
	k := vfs.NewKernel(vfs.Options{Era: era})
	k.RegisterFilesystem(btrfssim.FilesystemType{})
	k.AddBlockDevice(dev)
	t := k.Init()
	if err := t.Mkdir("/mnt", 0o755); err != nil {
		return err.Error()
	}
	if err := t.Mount(dev.Name(), "/mnt", "btrfs", 0, ""); err != nil {
		return fmt.Sprintf("mount: %v", err)
	}
	var walk func(p string) error
	walk = func(p string) error {
		fd, err := t.Open(p, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
		if err != nil {
			return err
		}
		defer t.Close(fd)
		ents, err := t.ReadDir(fd)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." {
				continue
			}
			st, err := t.Lstat(p + "/" + e.Name)
			if err != nil {
				return err
			}
			if st.Mode.IsDir() {
				if err := walk(p + "/" + e.Name); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk("/mnt"); err != nil {
		return "walking the tree: " + err.Error()
	}
	if vs := k.CheckInvariants(); len(vs) > 0 {
		return vfs.InvariantError(vs).Error()
	}
	sb, err := t.SuperblockOf("/mnt")
	if err != nil {
		return err.Error()
	}
	fs := btrfssim.FS(sb)
	var left []string
	for _, id := range fs.Subvolumes() {
		if inos, _ := fs.Orphans(id); len(inos) > 0 {
			left = append(left, fmt.Sprintf("subvolume %d: %v", id, inos))
		}
	}
	if len(left) > 0 {
		return "orphan items left after cleanup: " + strings.Join(left, "; ")
	}
	if err := k.Shutdown(); err != nil {
		return err.Error()
	}
	return ""
}

// Fact 22 (docs/linux-semantics.md §7): a snapshot, read-write or read-only, of
// a subvolume holding open-but-unlinked files contains neither those
// inodes nor their orphan items; the source keeps both until the files are
// closed. A file relinked before the snapshot survives in it.
func TestSnapshotDropsOpenUnlinkedFiles(t *testing.T) {
	m, err := script.NewMachine(vfs.Options{}, "btrfs", btrfssim.Setup(btrfssim.MkfsOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	defer vfstest.Finish(t, m.K)
	ops, err := script.Parse(`subvol s
open s/keep creat,rdwr -> K
open s/gone creat,rdwr -> G
write G gone
unlink s/gone
open s rdwr,tmpfile -> T
open s rdwr,tmpfile -> R
write R relinked
linkat-empty R s/relinked
snapshot s rw
snapshot-ro s ro`)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		if st := m.Step(op); st.Errno != "" {
			t.Fatalf("%s: %s", op, st.Errno)
		}
	}
	fs := btrfssim.FS(m.Superblock())
	ids := fs.Subvolumes()
	if len(ids) != 4 {
		t.Fatalf("subvolumes %v, want the top, s, rw and ro", ids)
	}
	src, rw, ro := ids[1], ids[2], ids[3]
	gone, tmp := statIno(t, m, "G"), statIno(t, m, "T")
	if got, _ := fs.Orphans(src); fmt.Sprint(got) != fmt.Sprint([]uint64{gone, tmp}) {
		t.Errorf("source's orphan items %v, want [%d %d]", got, gone, tmp)
	}
	for _, id := range []uint64{rw, ro} {
		if got, _ := fs.Orphans(id); len(got) != 0 {
			t.Errorf("snapshot %d has orphan items %v", id, got)
		}
	}
	for _, snap := range []string{"rw", "ro"} {
		ls := m.Step(script.Op{Name: "ls", Path: snap}).Describe()
		if want := "ls " + snap + ": [. .. keep relinked]"; ls != want {
			t.Errorf("%s, want %s", ls, want)
		}
		if st := m.Step(script.Op{Name: "cat", Path: snap + "/relinked"}); st.Ret != "relinked" {
			t.Errorf("%s/relinked reads %v", snap, st.Ret)
		}
	}
	for _, fd := range []string{"G", "T"} {
		m.Step(script.Op{Name: "close", FD: fd})
	}
	if got, _ := fs.Orphans(src); len(got) != 0 {
		t.Errorf("source keeps orphan items %v after the files are closed", got)
	}
}

func statIno(t *testing.T, m *script.Machine, fd string) uint64 {
	t.Helper()
	n, ok := m.FD(fd)
	if !ok {
		t.Fatalf("no fd %s", fd)
	}
	s, err := m.T.Fstat(n)
	if err != nil {
		t.Fatal(err)
	}
	return s.Ino
}

// Remounting read-only commits what was done (btrfs_reconfigure syncs
// first); remounting read-write cleans the orphans of every subvolume read
// so far, which a read-only mount leaves alone (measured on 6.18).
func TestRemount(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{})
	tk := k.Init()
	dev, err := btrfssim.Setup(btrfssim.MkfsOptions{})(k)
	if err != nil {
		t.Fatal(err)
	}
	vfstest.Must(t, tk.Mkdir("/mnt", 0o755))
	vfstest.Must(t, tk.Mount(dev, "/mnt", "btrfs", 0, ""))
	sb, err := tk.SuperblockOf("/mnt")
	if err != nil {
		t.Fatal(err)
	}
	fs := btrfssim.FS(sb)

	// Read-write to read-only: the write is committed, so a crash keeps it.
	f := vfstest.Open(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	if _, err := tk.Write(f, []byte("kept")); err != nil {
		t.Fatal(err)
	}
	vfstest.Must(t, tk.Close(f))
	vfstest.Must(t, tk.Mount("", "/mnt", "", vfs.MS_REMOUNT|vfs.MS_RDONLY, ""))
	crashed := mountImage(t, fs.Device().Crash("/dev/loop1"), 0)
	if st, err := crashed.Stat("/mnt/f"); err != nil || st.Size != 4 {
		t.Errorf("f in the crash image after a read-only remount: %v %v", st, err)
	}
	vfstest.Must(t, tk.Mount("", "/mnt", "", vfs.MS_REMOUNT, ""))

	// Orphans in the top subvolume and in s, committed.
	dir := vfstest.Open(t, tk, "/mnt", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	if _, err := tk.Ioctl(dir, btrfssim.IOC_SUBVOL_CREATE, &btrfssim.VolArgs{Name: "s"}); err != nil {
		t.Fatal(err)
	}
	vfstest.Must(t, tk.Close(dir))
	a := vfstest.Open(t, tk, "/mnt/a", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	b := vfstest.Open(t, tk, "/mnt/s/b", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	vfstest.Must(t, tk.Unlink("/mnt/a"))
	vfstest.Must(t, tk.Unlink("/mnt/s/b"))
	tk.Sync()
	t2 := mountImage(t, fs.Device().Crash("/dev/loop2"), vfs.MS_RDONLY)
	sb2, err := t2.SuperblockOf("/mnt")
	if err != nil {
		t.Fatal(err)
	}
	fs2 := btrfssim.FS(sb2)
	if _, err := t2.Stat("/mnt/s"); err != nil { // reads subvolume 256
		t.Fatal(err)
	}
	orphans := func() string {
		var out []string
		for _, id := range fs2.Subvolumes() {
			inos, _ := fs2.Orphans(id)
			out = append(out, fmt.Sprint(id, inos))
		}
		return strings.Join(out, " ")
	}
	if got := orphans(); got != "5 [258] 256 [257]" {
		t.Errorf("orphans on a read-only mount: %s, want both left", got)
	}
	vfstest.Must(t, t2.Mount("", "/mnt", "", vfs.MS_REMOUNT, ""))
	if got := orphans(); got != "5 [] 256 []" {
		t.Errorf("orphans after remounting read-write: %s, want none", got)
	}
	vfstest.Must(t, tk.Close(a))
	vfstest.Must(t, tk.Close(b))
}

// mountImage mounts dev on /mnt of a new kernel (checked for leaks when the
// test ends) and returns its init task.
func mountImage(t *testing.T, dev *btrfssim.Device, flags vfs.MountFlags) *vfs.Task {
	t.Helper()
	k := vfstest.NewKernel(t, vfs.Options{})
	tk := k.Init()
	k.RegisterFilesystem(btrfssim.FilesystemType{})
	k.AddBlockDevice(dev)
	vfstest.Must(t, tk.Mkdir("/mnt", 0o755))
	vfstest.Must(t, tk.Mount(dev.Name(), "/mnt", "btrfs", flags, ""))
	return tk
}
