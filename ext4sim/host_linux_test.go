package ext4sim_test

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/internal/hostkernel"
	"github.com/relinksim/relinksim/internal/hostkernel/hosttest"
	"github.com/relinksim/relinksim/vfs"
)

// Mount-time orphan cleanup, compared with the real kernel's: three files
// are opened, written, unlinked and kept open; the image is copied while
// frozen (fsfreeze, cp, thaw — docs/linux-semantics.md §0); the copy is mounted
// read-write, read-only, and from a read-only device. The kernel log lines
// and the orphan chain left must be the same as the simulator's.
func TestOrphanCleanupMatchesKernel(t *testing.T) {
	hosttest.RequireExt4(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unpin, err := hostkernel.PinToOneCPU(0)
	if err != nil {
		t.Fatal(err)
	}
	defer unpin()
	base := t.TempDir()
	template, err := hostkernel.MakeExt4Template(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		roDev bool
		flags uintptr
		vfsFl vfs.MountFlags
	}{
		{"read-write", false, 0, 0},
		{"read-only mount", false, unix.MS_RDONLY, vfs.MS_RDONLY},
		{"read-only device", true, unix.MS_RDONLY, vfs.MS_RDONLY},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The real kernel.
			m, err := hostkernel.MountExt4(base, template)
			if err != nil {
				t.Fatal(err)
			}
			var fds []int
			for _, name := range []string{"a", "b", "c"} {
				fd, err := unix.Open(m.Dir+"/"+name, unix.O_CREAT|unix.O_RDWR, 0o644)
				if err != nil {
					t.Fatal(err)
				}
				unix.Write(fd, []byte("data"))
				unix.Unlink(m.Dir + "/" + name)
				fds = append(fds, fd)
			}
			cp, err := m.FreezeCopy()
			if err != nil {
				t.Fatal(err)
			}
			defer os.Remove(cp)
			if err := m.Close(fds); err != nil {
				t.Fatal(err)
			}
			copyMnt, realLog, err := hostkernel.MountImage(base, cp, c.roDev, c.flags)
			if err != nil {
				t.Fatal(err)
			}
			realOrphans, err := hostkernel.OnDiskOrphans(copyMnt.Dev)
			if err != nil {
				t.Fatal(err)
			}
			copyMnt.Img = "" // the deferred Remove deletes the copy
			copyMnt.Close(nil)

			// The simulator.
			k := vfs.NewKernel(vfs.Options{})
			k.RegisterFilesystem(ext4sim.FilesystemType{})
			dev := ext4sim.Mkfs("/dev/loop0", ext4sim.MkfsOptions{})
			k.AddBlockDevice(dev)
			tk := k.Init()
			must(t, tk.Mkdir("/mnt", 0o755))
			must(t, tk.Mount("/dev/loop0", "/mnt", "ext4", 0, ""))
			for _, name := range []string{"a", "b", "c"} {
				fd, err := tk.Open("/mnt/"+name, vfs.O_CREAT|vfs.O_RDWR, 0o644)
				must(t, err)
				tk.Write(fd, []byte("data"))
				must(t, tk.Unlink("/mnt/"+name))
			}
			snap := dev.Snapshot("/dev/loop1")
			snap.SetReadOnly(c.roDev)
			k2 := vfs.NewKernel(vfs.Options{})
			k2.RegisterFilesystem(ext4sim.FilesystemType{})
			k2.AddBlockDevice(snap)
			t2 := k2.Init()
			must(t, t2.Mkdir("/copy", 0o755))
			must(t, t2.Mount("/dev/loop1", "/copy", "ext4", c.vfsFl, ""))
			simLog := hostkernel.NormalizeExt4Log(k2.Dmesg())
			var simOrphans []uint64
			for _, sb := range k2.Supers() {
				if fs := ext4sim.FS(sb); fs != nil {
					simOrphans = fs.Orphans()
				}
			}

			// ext4 rate-limits its "mounted filesystem" line (64 per 30 s,
			// ext4_mount_msg_ratelimit), and test campaigns mount thousands
			// of images: that line is left out of the comparison.
			if diff := cmp.Diff(withoutMountedLine(hostkernel.NormalizeExt4Log(realLog)), withoutMountedLine(simLog)); diff != "" {
				t.Errorf("kernel log of the mount (-kernel +simulator):\n%s", diff)
			}
			if diff := cmp.Diff(realOrphans, simOrphans, cmp.Comparer(func(a, b []uint64) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })); diff != "" {
				t.Errorf("orphans left (-kernel +simulator):\n%s", diff)
			}
			t.Logf("kernel: %q, orphans %v", realLog, realOrphans)
			for _, k := range []*vfs.Kernel{k, k2} {
				if err := k.Shutdown(); err != nil {
					t.Errorf("leak check: %v", err)
				}
			}
		})
	}
}

func withoutMountedLine(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.Contains(l, "mounted filesystem") {
			out = append(out, l)
		}
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
