package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"

	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/internal/hostkernel"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// fsys is what the workloads ask of a backend: the calls they make, on
// paths relative to a directory of the backend's own (Dir).
type fsys interface {
	Dir() string
	Open(path string) (int, error) // O_CREAT|O_RDWR, 0644
	Close(fd int) error
	Link(oldpath, newpath string) error
	Unlink(path string) error
	Rename(oldpath, newpath string) error
	Stat(path string) error
	Mkdir(path string) error
	List(path string) (int, error) // the directory's entries
	Finish() error                 // tear down; the simulator's leak check
}

var errNoLinks = errors.New("afero has no hard links")

// backends are the backends in the order every workload runs them: the
// references first.
var backends = []struct {
	name string
	make func(tb testing.TB) fsys
}{
	{"afero", func(tb testing.TB) fsys { return &aferoFS{fs: afero.NewMemMapFs()} }},
	{"kernel-tmpfs", func(tb testing.TB) fsys { return newKernelTmpfs(tb) }},
	{"kernel-ext4", func(tb testing.TB) fsys { return newKernelLoop(tb, "ext4") }},
	{"kernel-btrfs", func(tb testing.TB) fsys { return newKernelLoop(tb, "btrfs") }},
	{"sim-tmpfs", func(tb testing.TB) fsys { return newSim(tb, "tmpfs") }},
	{"sim-ext4", func(tb testing.TB) fsys { return newSim(tb, "ext4") }},
	{"sim-btrfs", func(tb testing.TB) fsys { return newSim(tb, "btrfs") }},
}

// simFS is relinksim through vfs.Task, on a fresh machine whose
// filesystem under test is mounted at /mnt.
type simFS struct {
	m  *script.Machine
	tk *vfs.Task
}

func newSim(tb testing.TB, fs string) *simFS {
	m, err := script.Boot(script.Config{FS: fs, Mkfs: mkfsFor(fs)})
	if err != nil {
		tb.Fatal(err)
	}
	tk := m.Init()
	// OrphanChurn holds 10,000 descriptors: raise the soft limit from
	// 1024, as a shell's ulimit -n does (Go raises its own on Linux).
	if err := tk.Setrlimit(vfs.RLIMIT_NOFILE, vfs.Rlimit{Cur: vfs.NrOpen, Max: vfs.NrOpen}); err != nil {
		tb.Fatal(err)
	}
	return &simFS{m: m, tk: tk}
}

// mkfsFor sizes the simulated filesystems for the big workloads (ext4's
// default 128 MiB image has 32,768 inodes): ext4 gets 4 GiB with the
// 4 KiB blocks mkfs.ext4 gives a device that size. With the simulator's
// default 1 KiB blocks, a directory's two-level htree (no large_dir)
// is full at about 257,000 of BigDir's names, and the next create fails
// with ENOSPC, as on Linux.
func mkfsFor(fs string) string {
	if fs == "ext4" {
		return "size=4294967296,blocksize=4096"
	}
	return ""
}

func (s *simFS) Dir() string { return "/mnt" }
func (s *simFS) Open(p string) (int, error) {
	return s.tk.Open(p, vfs.O_CREAT|vfs.O_RDWR, 0o644)
}
func (s *simFS) Close(fd int) error       { return s.tk.Close(fd) }
func (s *simFS) Link(a, b string) error   { return s.tk.Link(a, b) }
func (s *simFS) Unlink(p string) error    { return s.tk.Unlink(p) }
func (s *simFS) Rename(a, b string) error { return s.tk.Rename(a, b) }
func (s *simFS) Stat(p string) error      { _, err := s.tk.Stat(p); return err }
func (s *simFS) Mkdir(p string) error     { return s.tk.Mkdir(p, 0o755) }
func (s *simFS) List(p string) (int, error) {
	fd, err := s.tk.Open(p, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	if err != nil {
		return 0, err
	}
	defer s.tk.Close(fd)
	ents, err := s.tk.ReadDir(fd)
	return len(ents), err
}
func (s *simFS) Finish() error {
	if vs := s.m.K.CheckInvariants(); len(vs) > 0 {
		return vfs.InvariantError(vs)
	}
	return s.m.K.Shutdown()
}

// kernelFS is the real kernel through golang.org/x/sys/unix.
type kernelFS struct {
	dir     string
	cleanup func() error
}

// newKernelTmpfs uses a fresh tmpfs: mounted as root, else a directory of
// /dev/shm (a tmpfs on every Linux with glibc).
func newKernelTmpfs(tb testing.TB) *kernelFS {
	if hostkernel.Available() == "" {
		m, err := hostkernel.MountTmpfs(os.TempDir())
		if err != nil {
			tb.Fatal(err)
		}
		return &kernelFS{dir: m.Dir, cleanup: func() error { return m.Close(nil) }}
	}
	dir, err := os.MkdirTemp("/dev/shm", "relinksim-bench-")
	if err != nil {
		tb.Skipf("no tmpfs to measure the kernel on: %v", err)
	}
	return &kernelFS{dir: dir, cleanup: func() error { return os.RemoveAll(dir) }}
}

// newKernelLoop mounts a fresh ext4 or btrfs image on a loop device, as
// the differential tests do (root, RELINKSIM_HOST_TESTS=1).
func newKernelLoop(tb testing.TB, fs string) *kernelFS {
	if os.Getenv("RELINKSIM_HOST_TESTS") != "1" {
		tb.Skip("set RELINKSIM_HOST_TESTS=1 (as root) to measure the kernel's " + fs)
	}
	base := tb.TempDir()
	var (
		lfs *hostkernel.LoopFS
		err error
	)
	switch fs {
	case "ext4":
		if why := hostkernel.Ext4Available(); why != "" {
			tb.Skip(why)
		}
		var tmpl string
		if tmpl, err = hostkernel.MakeExt4Template(base, "-N", "150000"); err == nil {
			lfs, err = hostkernel.MountExt4(base, tmpl)
		}
	case "btrfs":
		if why := hostkernel.BtrfsAvailable(); why != "" {
			tb.Skip(why)
		}
		var tmpl string
		if tmpl, err = hostkernel.MakeBtrfsTemplate(base); err == nil {
			lfs, err = hostkernel.MountBtrfs(base, tmpl)
		}
	}
	if err != nil {
		tb.Fatal(err)
	}
	return &kernelFS{dir: lfs.Dir, cleanup: func() error { return lfs.Close(nil) }}
}

func (k *kernelFS) Dir() string { return k.dir }
func (k *kernelFS) Open(p string) (int, error) {
	return unix.Open(p, unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC, 0o644)
}
func (k *kernelFS) Close(fd int) error       { return unix.Close(fd) }
func (k *kernelFS) Link(a, b string) error   { return unix.Link(a, b) }
func (k *kernelFS) Unlink(p string) error    { return unix.Unlink(p) }
func (k *kernelFS) Rename(a, b string) error { return unix.Rename(a, b) }
func (k *kernelFS) Stat(p string) error {
	var st unix.Stat_t
	return unix.Stat(p, &st)
}
func (k *kernelFS) Mkdir(p string) error { return unix.Mkdir(p, 0o755) }
func (k *kernelFS) List(p string) (int, error) {
	ents, err := os.ReadDir(p)
	return len(ents), err
}
func (k *kernelFS) Finish() error { return k.cleanup() }

// aferoFS is afero's MemMapFs; descriptors index its open files.
type aferoFS struct {
	fs    afero.Fs
	files []afero.File
	free  []int
}

func (a *aferoFS) Dir() string { return "/" }
func (a *aferoFS) Open(p string) (int, error) {
	f, err := a.fs.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return -1, err
	}
	if n := len(a.free); n > 0 {
		fd := a.free[n-1]
		a.free = a.free[:n-1]
		a.files[fd] = f
		return fd, nil
	}
	a.files = append(a.files, f)
	return len(a.files) - 1, nil
}
func (a *aferoFS) Close(fd int) error {
	if fd < 0 || fd >= len(a.files) || a.files[fd] == nil {
		return fmt.Errorf("afero: bad descriptor %d", fd)
	}
	err := a.files[fd].Close()
	a.files[fd] = nil
	a.free = append(a.free, fd)
	return err
}
func (a *aferoFS) Link(string, string) error { return errNoLinks }
func (a *aferoFS) Unlink(p string) error     { return a.fs.Remove(p) }
func (a *aferoFS) Rename(x, y string) error  { return a.fs.Rename(x, y) }
func (a *aferoFS) Stat(p string) error       { _, err := a.fs.Stat(p); return err }
func (a *aferoFS) Mkdir(p string) error      { return a.fs.Mkdir(p, 0o755) }
func (a *aferoFS) List(p string) (int, error) {
	ents, err := afero.ReadDir(a.fs, p)
	return len(ents), err
}
func (a *aferoFS) Finish() error { return nil }

// join is filepath.Join for the workloads' paths.
func join(elem ...string) string { return filepath.Join(elem...) }
