package ext4sim_test

import (
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// ext4sim passes the conformance suite every filesystem runs.
func TestConformance(t *testing.T) {
	vfstest.TestFilesystem(t, vfstest.FSConfig{Type: "ext4"})
}

// And with the orphan file.
func TestConformanceOrphanFile(t *testing.T) {
	vfstest.TestFilesystem(t, vfstest.FSConfig{Type: "ext4", Mkfs: "orphan_file"})
}

// And with 4 KiB blocks (a block per page).
func TestConformance4KiBBlocks(t *testing.T) {
	vfstest.TestFilesystem(t, vfstest.FSConfig{Type: "ext4", Mkfs: "blocksize=4096"})
}

func machine(t *testing.T, era vfs.Era, mntOpts string) *script.Machine {
	t.Helper()
	m, err := script.NewMachineWithOptions(vfs.Options{Era: era}, "ext4", mntOpts, ext4sim.Setup(ext4sim.MkfsOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func run(t *testing.T, m *script.Machine, src string) {
	t.Helper()
	ops, err := script.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	m.Run(ops)
}

func violated(vs []vfs.Violation, name string) bool {
	for _, v := range vs {
		if v.Name == name {
			return true
		}
	}
	return false
}

// Each era's known bug is caught by the checker under that era and absent
// under the eras that fixed it (docs/linux-semantics.md §3).
func TestEraBugsAreCaught(t *testing.T) {
	bugs := []struct {
		name  string
		buggy vfs.Era
		fixed []vfs.Era
		opts  string
		src   string
		want  []string // invariants broken under the buggy era
	}{
		{
			name:  "2007: an orphan linked back stays on the orphan list and is freed on it",
			buggy: vfs.Pre2007,
			fixed: []vfs.Era{vfs.ENOENT2007, vfs.Relink2011, vfs.Upstream},
			src: `open f creat,rdwr -> F
unlink f
linkat-proc F back
close F
drop_caches`,
			want: []string{"E7", "E10"},
		},
		{
			name:  "Amir Goldstein: Sandeen's RFC loses the orphan when add_entry fails, and it leaks after a crash",
			buggy: vfs.SandeenRFC,
			fixed: []vfs.Era{vfs.Relink2011, vfs.ENOENT2007, vfs.Upstream},
			opts:  "sim_commit=handle",
			src: `open f creat,rdwr -> F
write F data
unlink f
fault add_entry 4
linkat-proc F back
crash`,
			want: []string{"E6"},
		},
	}
	for _, b := range bugs {
		t.Run(b.name, func(t *testing.T) {
			for _, era := range append([]vfs.Era{b.buggy}, b.fixed...) {
				m := machine(t, era, b.opts)
				run(t, m, b.src)
				vs := m.Check()
				if era == b.buggy {
					for _, w := range b.want {
						if !violated(vs, w) {
							t.Errorf("%s: the checker misses %s: %v", era, w, vs)
						}
					}
					continue
				}
				if len(vs) > 0 {
					t.Errorf("%s (fixed): %v", era, vfs.InvariantError(vs))
				}
				vfstest.Finish(t, m.K)
			}
		})
	}
}

// The 2007 bug's oops: unmounting with the in-memory orphan list not empty
// is what the kernel BUGged on.
func TestPre2007UnmountOopses(t *testing.T) {
	m := machine(t, vfs.Pre2007, "")
	run(t, m, "open f creat,rdwr -> F\nunlink f\nlinkat-proc F back\nclose F")
	mounted := ext4sim.FS(m.Superblock())
	m.K.Shutdown()
	if oo := mounted.Oopses(); len(oo) != 1 || !strings.Contains(oo[0], "kernel BUG") {
		t.Errorf("oopses %q", oo)
	}
	if !strings.Contains(strings.Join(m.K.Dmesg(), "\n"), "sb orphan head is 12") {
		t.Errorf("no dump_orphan_list in %q", m.K.Dmesg())
	}
}

// Crash at every journal commit of generated workloads: mounting each crash
// image recovers (journal replay, orphan cleanup) to a state the checker
// finds clean, under every era that has no known ext4 bug.
func TestCrashAtEveryCommit(t *testing.T) {
	for _, era := range []vfs.Era{vfs.ENOENT2007, vfs.Relink2011, vfs.Upstream} {
		t.Run(era.String(), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				gen := scriptgen.GenConfig{MinOps: 10, MaxOps: 40, Era: era,
					FS: "ext4", Setup: ext4sim.Setup(ext4sim.MkfsOptions{})}
				ops := scriptgen.Ops(gen).Draw(rt, "ops")
				m, err := script.NewMachineWithOptions(vfs.Options{Era: era}, "ext4", "sim_commit=handle", ext4sim.Setup(ext4sim.MkfsOptions{}))
				if err != nil {
					rt.Fatal(err)
				}
				dev := ext4sim.FS(m.Superblock()).Device()
				var crashes []*ext4sim.Device
				var at []int
				step := 0
				dev.OnCommit = func(d *ext4sim.Device) {
					crashes = append(crashes, d.Crash(d.Name()))
					at = append(at, step)
				}
				for i, op := range ops {
					step = i + 1
					m.Step(op)
				}
				if err := m.K.Shutdown(); err != nil {
					rt.Fatalf("leak check: %v", err)
				}
				for i, c := range crashes {
					if msg := recoverAndCheck(era, c); msg != "" {
						rt.Fatalf("crash after commit %d (during op %d, %q): %s", i+1, at[i], ops[at[i]-1].String(), msg)
					}
				}
			})
		})
	}
}

// recoverAndCheck mounts a crash image on a fresh kernel and returns what
// the checkers find wrong after recovery ("" for nothing).
func recoverAndCheck(era vfs.Era, dev *ext4sim.Device) string {
	k := vfs.NewKernel(vfs.Options{Era: era})
	k.RegisterFilesystem(ext4sim.FilesystemType{})
	k.AddBlockDevice(dev)
	t := k.Init()
	if err := t.Mkdir("/mnt", 0o755); err != nil {
		return err.Error()
	}
	if err := t.Mount(dev.Name(), "/mnt", "ext4", 0, ""); err != nil {
		return fmt.Sprintf("mount: %v", err)
	}
	if vs := k.CheckInvariants(); len(vs) > 0 {
		return vfs.InvariantError(vs).Error() + "\n" + strings.Join(k.Dmesg(), "\n")
	}
	sb := ext4sim.FS(func() *vfs.Superblock {
		for _, s := range k.Supers() {
			if s.Type().Name() == "ext4" {
				return s
			}
		}
		return nil
	}())
	if n := len(sb.Orphans()); n != 0 {
		return fmt.Sprintf("%d orphans left after cleanup", n)
	}
	if err := k.Shutdown(); err != nil {
		return err.Error()
	}
	return ""
}

// st_blocks counts 1 KiB blocks that hold data, as measured on Linux 6.18
// on the oracle's image (delalloc reservations count before writeback).
func TestStBlocksMatchesKernel(t *testing.T) {
	tk, _ := mountExt4(t, ext4sim.MkfsOptions{})
	file := func(name string, f func(fd int)) {
		fd := vfstest.Open(t, tk, "/mnt/"+name, vfs.O_CREAT|vfs.O_RDWR, 0o644)
		f(fd)
		vfstest.Must(t, tk.Close(fd))
	}
	write := func(fd int, n int, off int64) {
		if _, err := tk.Pwrite(fd, make([]byte, n), off); err != nil {
			t.Fatal(err)
		}
	}
	file("empty", func(int) {})
	file("abc", func(fd int) { write(fd, 3, 0) })
	file("1024", func(fd int) { write(fd, 1024, 0) })
	file("1025", func(fd int) { write(fd, 1025, 0) })
	file("1G", func(fd int) { vfstest.Must(t, tk.Ftruncate(fd, 1<<30)) })
	file("4096at1G", func(fd int) { write(fd, 4096, 1<<30) })
	file("cut", func(fd int) { write(fd, 5000, 0); vfstest.Must(t, tk.Ftruncate(fd, 1500)) })
	file("cut2", func(fd int) { write(fd, 5000, 0); vfstest.Must(t, tk.Ftruncate(fd, 1024)) })
	file("cut3", func(fd int) { write(fd, 1, 0); write(fd, 1, 3000); vfstest.Must(t, tk.Ftruncate(fd, 2000)) })
	file("sparse", func(fd int) {
		write(fd, 1, 0)
		write(fd, 1, 5000)
		if off, err := tk.Lseek(fd, 0, vfs.SEEK_HOLE); off != 1024 || err != nil {
			t.Errorf("SEEK_HOLE from 0: %d %v, want 1024", off, err)
		}
		if off, err := tk.Lseek(fd, 1024, vfs.SEEK_DATA); off != 4096 || err != nil {
			t.Errorf("SEEK_DATA from 1024: %d %v, want 4096", off, err)
		}
	})
	vfstest.Must(t, tk.Symlink("abc", "/mnt/short"))
	vfstest.Must(t, tk.Symlink(strings.Repeat("x", 70), "/mnt/long"))
	vfstest.Must(t, tk.Mkfifo("/mnt/fifo", 0o644))
	vfstest.Must(t, tk.Mkdir("/mnt/dir", 0o755))
	for _, c := range []struct {
		name         string
		size, blocks int64
	}{
		{"empty", 0, 0},
		{"abc", 3, 2},
		{"1024", 1024, 2},
		{"1025", 1025, 4},
		{"1G", 1 << 30, 0},
		{"4096at1G", 1<<30 + 4096, 8},
		{"cut", 1500, 4},
		{"cut2", 1024, 2},
		{"cut3", 2000, 2},
		{"sparse", 5001, 4},
		{"short", 3, 0},
		{"long", 70, 2},
		{"fifo", 0, 0},
		{"dir", 1024, 2},
		{"lost+found", 12288, 24},
	} {
		st, err := tk.Lstat("/mnt/" + c.name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size != c.size || st.Blocks != c.blocks {
			t.Errorf("%s: size %d st_blocks %d, want %d %d", c.name, st.Size, st.Blocks, c.size, c.blocks)
		}
	}
	vfstest.Must(t, tk.Umount("/mnt", 0))
}

// A device mounted again elsewhere shares its superblock; mounted again on
// the same mountpoint it is refused with EBUSY (do_add_mount), as
// "mount /dev/loop0 /mnt" twice is on Linux.
func TestMountDeviceTwice(t *testing.T) {
	tk, dev := mountExt4(t, ext4sim.MkfsOptions{})
	vfstest.Must(t, tk.Mkdir("/mnt2", 0o755))
	vfstest.WantErrno(t, "the same device on the same mountpoint", tk.Mount(dev, "/mnt", "ext4", 0, ""), vfs.EBUSY)
	vfstest.Must(t, tk.Mount(dev, "/mnt2", "ext4", 0, ""))
	vfstest.Must(t, tk.Close(vfstest.Open(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)))
	if _, err := tk.Stat("/mnt2/f"); err != nil {
		t.Errorf("the second mount does not show the first one's file: %v", err)
	}
	vfstest.Must(t, tk.Umount("/mnt", 0))
	vfstest.Must(t, tk.Umount("/mnt2", 0))
}

// mountExt4 boots a kernel (checked for leaks when the test ends), makes
// an ext4sim filesystem with opts and mounts it on /mnt. It returns the init
// task and the device's name.
func mountExt4(tb testing.TB, opts ext4sim.MkfsOptions) (*vfs.Task, string) {
	tb.Helper()
	k := vfstest.NewKernel(tb, vfs.Options{})
	tk := k.Init()
	dev, err := ext4sim.Setup(opts)(k)
	if err != nil {
		tb.Fatal(err)
	}
	vfstest.Must(tb, tk.Mkdir("/mnt", 0o755))
	vfstest.Must(tb, tk.Mount(dev, "/mnt", "ext4", 0, ""))
	return tk, dev
}

// E8 sees an inode bitmap that disagrees with the free-inode counts, in
// the first group, the last, and at the last bit of a group; a clean
// image passes.
func TestE8SeesBitmapCorruption(t *testing.T) {
	m := machine(t, vfs.Upstream, "")
	run(t, m, "mkdir d\nopen d/f creat,rdwr -> F\nclose F")
	if vs := m.Check(); len(vs) > 0 {
		t.Fatalf("clean image: %v", vfs.InvariantError(vs))
	}
	fs := ext4sim.FS(m.Superblock())
	perGroup := fs.InodesPerGroup()
	for _, c := range []struct {
		g int
		b uint32
	}{{0, 100}, {fs.Groups() - 1, 0}, {1, perGroup - 1}} {
		fs.FlipInodeBit(c.g, c.b)
		if vs := m.Check(); !violated(vs, "E8") {
			t.Errorf("group %d bit %d flipped: the checker misses E8: %v", c.g, c.b, vs)
		}
		fs.FlipInodeBit(c.g, c.b)
	}
	if vs := m.Check(); len(vs) > 0 {
		t.Fatalf("mended image: %v", vfs.InvariantError(vs))
	}
	vfstest.Finish(t, m.K)
}
