package vfs_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// The tests named TestFactNN check the numbered facts of
// docs/linux-semantics.md §7, each verified there on Linux
// 6.18, under the upstream era on our tmpfs. Facts 15 and 16 need several
// mount namespaces (the nsproxy work); fact 11 is btrfs's subvolume rule
// (btrfssim); the ext4 and btrfs halves of fact 12 belong to those
// filesystems.

var (
	must      = vfstest.Must
	mustOpen  = vfstest.Open
	wantErrno = vfstest.WantErrno
)

// boot returns a kernel with a tmpfs on /mnt and its init task.
func boot(t *testing.T, opts vfs.Options) (*vfs.Kernel, *vfs.Task) {
	t.Helper()
	k := vfstest.NewKernel(t, opts)
	tk := k.Init()
	vfstest.MountTmpfs(t, tk, "/mnt")
	return k, tk
}

// openUnlinked opens /mnt/name, writes to it, and removes its only name.
func openUnlinked(t *testing.T, tk *vfs.Task, name string) int {
	t.Helper()
	fd := mustOpen(t, tk, "/mnt/"+name, vfs.O_CREAT|vfs.O_RDWR, 0o644)
	_, err := tk.Write(fd, []byte("data"))
	must(t, err)
	must(t, tk.Unlink("/mnt/"+name))
	return fd
}

func nlinkOf(t *testing.T, tk *vfs.Task, fd int) uint32 {
	t.Helper()
	st, err := tk.Fstat(fd)
	must(t, err)
	return st.Nlink
}

func procFD(fd int) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }

// Reference: docs/linux-semantics.md §7 fact 1; fs/namei.c:vfs_link (aae8a97d3ec3).
func TestFact01ProcFollowOfUnlinkedFileIsENOENT(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	fd := openUnlinked(t, tk, "f")
	err := tk.Linkat(vfs.AT_FDCWD, procFD(fd), vfs.AT_FDCWD, "/mnt/g", vfs.AT_SYMLINK_FOLLOW)
	wantErrno(t, "linkat(/proc/self/fd/N, g, AT_SYMLINK_FOLLOW)", err, vfs.ENOENT)
	if n := nlinkOf(t, tk, fd); n != 0 {
		t.Errorf("nlink after the refused link: %d, want 0", n)
	}
	vfstest.Check(t, k)
}

// Reference: docs/linux-semantics.md §7 fact 2.
func TestFact02EmptyPathLinkOfUnlinkedFileIsENOENT(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	fd := openUnlinked(t, tk, "f")
	err := tk.Linkat(fd, "", vfs.AT_FDCWD, "/mnt/g", vfs.AT_EMPTY_PATH)
	wantErrno(t, "linkat(fd, \"\", g, AT_EMPTY_PATH) as root", err, vfs.ENOENT)
	if n := nlinkOf(t, tk, fd); n != 0 {
		t.Errorf("nlink: %d, want 0", n)
	}
}

// Reference: docs/linux-semantics.md §7 fact 3: without AT_SYMLINK_FOLLOW the
// procfs magic link itself is the source, on another mount.
func TestFact03ProcLinkWithoutFollowIsEXDEV(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	fd := mustOpen(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	err := tk.Linkat(vfs.AT_FDCWD, procFD(fd), vfs.AT_FDCWD, "/mnt/g", 0)
	wantErrno(t, "linkat(/proc/self/fd/N, g, 0)", err, vfs.EXDEV)
}

// Reference: docs/linux-semantics.md §7 fact 4; fs/dcache.c:d_tmpfile.
func TestFact04TmpfileHasNoNameAndNeedsWriteAccess(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	must(t, tk.Mkdir("/mnt/d", 0o755))
	fd := mustOpen(t, tk, "/mnt/d", vfs.O_TMPFILE|vfs.O_RDWR, 0o600)
	st, err := tk.Fstat(fd)
	must(t, err)
	if st.Nlink != 0 {
		t.Errorf("O_TMPFILE nlink %d, want 0", st.Nlink)
	}
	link, err := tk.Readlink(procFD(fd))
	must(t, err)
	if want := fmt.Sprintf("/mnt/d/#%d (deleted)", st.Ino); link != want {
		t.Errorf("readlink(/proc/self/fd/N) = %q, want %q", link, want)
	}
	_, err = tk.Open("/mnt/d", vfs.O_TMPFILE|vfs.O_RDONLY, 0o600)
	wantErrno(t, "open(O_TMPFILE|O_RDONLY)", err, vfs.EINVAL)
}

// Reference: docs/linux-semantics.md §7 fact 5; I_LINKABLE is one-shot.
func TestFact05TmpfileIsLinkableOnce(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	fd := mustOpen(t, tk, "/mnt", vfs.O_TMPFILE|vfs.O_RDWR, 0o600)
	must(t, tk.Linkat(fd, "", vfs.AT_FDCWD, "/mnt/a", vfs.AT_EMPTY_PATH))
	if n := nlinkOf(t, tk, fd); n != 1 {
		t.Errorf("after the first link nlink %d, want 1", n)
	}
	must(t, tk.Linkat(fd, "", vfs.AT_FDCWD, "/mnt/b", vfs.AT_EMPTY_PATH))
	if n := nlinkOf(t, tk, fd); n != 2 {
		t.Errorf("after the second link nlink %d, want 2", n)
	}
	must(t, tk.Unlink("/mnt/a"))
	must(t, tk.Unlink("/mnt/b"))
	err := tk.Linkat(fd, "", vfs.AT_FDCWD, "/mnt/c", vfs.AT_EMPTY_PATH)
	wantErrno(t, "linking the tmpfile again after its names went", err, vfs.ENOENT)
	vfstest.Check(t, k)
}

// Reference: docs/linux-semantics.md §7 fact 6.
func TestFact06TmpfileExclIsNotLinkable(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	fd := mustOpen(t, tk, "/mnt", vfs.O_TMPFILE|vfs.O_EXCL|vfs.O_RDWR, 0o600)
	err := tk.Linkat(fd, "", vfs.AT_FDCWD, "/mnt/a", vfs.AT_EMPTY_PATH)
	wantErrno(t, "linking an O_TMPFILE|O_EXCL file", err, vfs.ENOENT)
	err = tk.Linkat(vfs.AT_FDCWD, procFD(fd), vfs.AT_FDCWD, "/mnt/a", vfs.AT_SYMLINK_FOLLOW)
	wantErrno(t, "linking it through /proc/self/fd", err, vfs.ENOENT)
}

// Reference: docs/linux-semantics.md §7 fact 7.
func TestFact07LinkingADirectory(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	vfstest.MountTmpfs(t, tk, "/other")
	must(t, tk.Mkdir("/mnt/dir", 0o755))
	must(t, tk.Mkdir("/mnt/existing", 0o755))
	wantErrno(t, "link(dir, new)", tk.Link("/mnt/dir", "/mnt/new"), vfs.EPERM)
	wantErrno(t, "link(dir, existing)", tk.Link("/mnt/dir", "/mnt/existing"), vfs.EEXIST)
	wantErrno(t, "link(dir, other_mount/new)", tk.Link("/mnt/dir", "/other/new"), vfs.EXDEV)
}

// Reference: docs/linux-semantics.md §7 fact 8.
func TestFact08LinkTargetErrors(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	vfstest.MountTmpfs(t, tk, "/other")
	mustOpen(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	mustOpen(t, tk, "/mnt/existing", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	mustOpen(t, tk, "/other/existing", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	wantErrno(t, "link(file, existing)", tk.Link("/mnt/f", "/mnt/existing"), vfs.EEXIST)
	wantErrno(t, "link(file, existing on another mount)", tk.Link("/mnt/f", "/other/existing"), vfs.EEXIST)
	wantErrno(t, "link(file, missing/x)", tk.Link("/mnt/f", "/mnt/missing/x"), vfs.ENOENT)
	wantErrno(t, "link(file, x/)", tk.Link("/mnt/f", "/mnt/x/"), vfs.ENOENT)
	wantErrno(t, "linkat with flag 0x8", tk.Linkat(vfs.AT_FDCWD, "/mnt/f", vfs.AT_FDCWD, "/mnt/y", 0x8), vfs.EINVAL)
	must(t, tk.Mkdir("/mnt/gone", 0o755))
	dfd := mustOpen(t, tk, "/mnt/gone", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	must(t, tk.Rmdir("/mnt/gone"))
	wantErrno(t, "linkat(f, dirfd of a removed directory, x)", tk.Linkat(vfs.AT_FDCWD, "/mnt/f", dfd, "x", 0), vfs.ENOENT)
}

// Reference: docs/linux-semantics.md §7 fact 9.
func TestFact09ImmutableAppendOnlyAndReadOnlyBind(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	for _, c := range []struct {
		name string
		flag vfs.InodeFlags
	}{{"immutable", vfs.S_IMMUTABLE}, {"append-only", vfs.S_APPEND}} {
		fd := mustOpen(t, tk, "/mnt/"+c.name, vfs.O_CREAT|vfs.O_RDWR, 0o644)
		must(t, tk.SetInodeFlags(fd, c.flag))
		wantErrno(t, "link of an "+c.name+" source", tk.Link("/mnt/"+c.name, "/mnt/"+c.name+"2"), vfs.EPERM)
		must(t, tk.SetInodeFlags(fd, 0))
	}
	mustOpen(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	must(t, tk.Mkdir("/robind", 0o755))
	must(t, tk.Mount("/mnt", "/robind", "", vfs.MS_BIND, ""))
	must(t, tk.Mount("", "/robind", "", vfs.MS_REMOUNT|vfs.MS_BIND|vfs.MS_RDONLY, ""))
	wantErrno(t, "link into a read-only bind (EROFS beats EXDEV)", tk.Link("/mnt/f", "/robind/x"), vfs.EROFS)
	wantErrno(t, "link onto an existing name of a read-only bind", tk.Link("/mnt/f", "/robind/f"), vfs.EEXIST)
	wantErrno(t, "rename into a read-only bind (EXDEV beats EROFS)", tk.Rename("/mnt/f", "/robind/x"), vfs.EXDEV)
}

// ramdisk is a block device for bdevfs.
type ramdisk struct {
	name string
	ro   bool
}

func (r ramdisk) Name() string   { return r.name }
func (r ramdisk) ReadOnly() bool { return r.ro }

// bdevfs is tmpfs that needs a block device, so mounts of one device share a
// superblock as ext4's do.
type bdevfs struct{ vfs.TmpfsType }

func (bdevfs) Name() string         { return "bdevfs" }
func (bdevfs) RequiresDevice() bool { return true }

// Reference: docs/linux-semantics.md §7 fact 10; §5 (do_linkat compares
// vfsmounts).
func TestFact10BindAndSecondMountAreEXDEV(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	mustOpen(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	must(t, tk.Mkdir("/bind", 0o755))
	must(t, tk.Mount("/mnt", "/bind", "", vfs.MS_BIND, ""))
	wantErrno(t, "link from a mount into its bind", tk.Link("/mnt/f", "/bind/g"), vfs.EXDEV)
	wantErrno(t, "link from a bind into its mount", tk.Link("/bind/f", "/mnt/g"), vfs.EXDEV)
	wantErrno(t, "rename between a mount and its bind", tk.Rename("/mnt/f", "/bind/g"), vfs.EXDEV)
	must(t, tk.Link("/bind/f", "/bind/g"))
	must(t, tk.Link("/mnt/f", "/mnt/h"))

	k.RegisterFilesystem(bdevfs{})
	k.AddBlockDevice(ramdisk{name: "/dev/ram0"})
	for _, dir := range []string{"/first", "/second"} {
		must(t, tk.Mkdir(dir, 0o755))
		must(t, tk.Mount("/dev/ram0", dir, "bdevfs", 0, ""))
	}
	mustOpen(t, tk, "/first/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	st1, _ := tk.Stat("/first/f")
	st2, err := tk.Stat("/second/f")
	must(t, err)
	if st1.Dev != st2.Dev || st1.Ino != st2.Ino {
		t.Errorf("the second mount of the device shows another file: %v vs %v", st1, st2)
	}
	wantErrno(t, "link between two mounts of one device", tk.Link("/first/f", "/second/g"), vfs.EXDEV)
	must(t, tk.Link("/second/f", "/second/g"))
}

// linkLimitFS is tmpfs with a superblock link limit (s_max_links), the way
// XFS sets one, so the VFS's own EMLINK check is exercised.
type linkLimitFS struct{ vfs.TmpfsType }

func (linkLimitFS) Name() string { return "limitfs" }
func (f linkLimitFS) FillSuper(sb *vfs.Superblock, data string) error {
	sb.MaxLinks = 3
	return f.TmpfsType.FillSuper(sb, data)
}

// Reference: docs/linux-semantics.md §7 fact 12 (the tmpfs half: no limit) and
// §1.2 step 9b (s_max_links).
func TestFact12LinkLimits(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	mustOpen(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	const links = 65001 // past ext4's 65000
	for i := 1; i < links; i++ {
		if err := tk.Link("/mnt/f", fmt.Sprintf("/mnt/l%d", i)); err != nil {
			t.Fatalf("tmpfs link %d: %v", i, err)
		}
	}
	st, err := tk.Stat("/mnt/f")
	must(t, err)
	if st.Nlink != links {
		t.Errorf("tmpfs nlink %d, want %d", st.Nlink, links)
	}

	k.RegisterFilesystem(linkLimitFS{})
	must(t, tk.Mkdir("/lim", 0o755))
	must(t, tk.Mount("none", "/lim", "limitfs", 0, ""))
	fd := mustOpen(t, tk, "/lim/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	must(t, tk.Link("/lim/f", "/lim/g"))
	must(t, tk.Link("/lim/f", "/lim/h"))
	vfstest.WantLinkLimit(t, tk, fd, "/lim/f", 3, "/lim/g")
}

// Reference: docs/linux-semantics.md §7 fact 13, §1.3 (safe_hardlink_source).
func TestFact13ProtectedHardlinks(t *testing.T) {
	cases := []struct {
		mode      vfs.FileMode
		fifo      bool
		protected vfs.Errno
	}{
		{mode: 0o600, protected: vfs.EPERM},
		{mode: 0o644, protected: vfs.EPERM},
		{mode: 0o4777, protected: vfs.EPERM},
		{mode: 0o2777, protected: vfs.EPERM},
		{mode: 0o666, fifo: true, protected: vfs.EPERM},
		{mode: 0o666, protected: 0},
		{mode: 0o2767, protected: 0},
	}
	for _, sysctl := range []bool{true, false} {
		_, tk := boot(t, vfs.Options{ProtectedHardlinks: sysctl})
		root := tk.Cred()
		must(t, tk.Mkdir("/mnt/nobody", 0o777))
		must(t, tk.Chmod("/mnt/nobody", 0o777)) // mkdir applied the umask
		for i, c := range cases {
			src := fmt.Sprintf("/mnt/src%d", i)
			if c.fifo {
				must(t, tk.Mkfifo(src, 0))
			} else {
				must(t, tk.Close(mustOpen(t, tk, src, vfs.O_CREAT|vfs.O_WRONLY, 0)))
			}
			must(t, tk.Chmod(src, c.mode))
			tk.SetCred(vfs.UserCred(65534, 65534))
			want := c.protected
			if !sysctl {
				want = 0
			}
			wantErrno(t, fmt.Sprintf("protected_hardlinks=%v: uid 65534 links root's %#o fifo=%v", sysctl, c.mode, c.fifo),
				tk.Link(src, fmt.Sprintf("/mnt/nobody/l%d", i)), want)
			tk.SetCred(root)
		}
		must(t, tk.Close(mustOpen(t, tk, "/mnt/theirs", vfs.O_CREAT|vfs.O_WRONLY, 0o600)))
		must(t, tk.Chown("/mnt/theirs", 1000, 1000))
		wantErrno(t, "root links another user's 0600 file", tk.Link("/mnt/theirs", "/mnt/mine"), 0)
	}
}

// Reference: docs/linux-semantics.md §7 fact 14, §1.1 step 2 (the 6.10 rule).
func TestFact14AtEmptyPathCredentials(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	must(t, tk.Chmod("/mnt", 0o777))
	user := vfs.UserCred(1000, 1000)
	tk.SetCred(user)
	own := mustOpen(t, tk, "/mnt/own", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	wantErrno(t, "flink of a file opened with the same credentials", tk.Linkat(own, "", vfs.AT_FDCWD, "/mnt/own2", vfs.AT_EMPTY_PATH), 0)

	// A file opened before a change of credentials: even the same uid is
	// another struct cred.
	tk.SetCred(vfs.UserCred(1000, 1000))
	wantErrno(t, "flink of a file opened under other credentials", tk.Linkat(own, "", vfs.AT_FDCWD, "/mnt/own3", vfs.AT_EMPTY_PATH), vfs.ENOENT)
	tk.SetCred(user.WithCaps(vfs.Caps(vfs.CAP_DAC_READ_SEARCH)))
	wantErrno(t, "the same with CAP_DAC_READ_SEARCH", tk.Linkat(own, "", vfs.AT_FDCWD, "/mnt/own3", vfs.AT_EMPTY_PATH), 0)
	tk.SetCred(user.WithCaps(vfs.Caps(vfs.CAP_DAC_OVERRIDE, vfs.CAP_SYS_ADMIN)))
	wantErrno(t, "CAP_DAC_OVERRIDE is not CAP_DAC_READ_SEARCH", tk.Linkat(own, "", vfs.AT_FDCWD, "/mnt/own4", vfs.AT_EMPTY_PATH), vfs.ENOENT)
}

// Reference: docs/linux-semantics.md §7 fact 23, §6.2: a second mount of an
// already-mounted device reuses the superblock and ignores its options.
func TestFact23SecondMountReusesSuperblockAndIgnoresOptions(t *testing.T) {
	k, tk := boot(t, vfs.Options{})
	k.RegisterFilesystem(bdevfs{})
	k.AddBlockDevice(ramdisk{name: "/dev/ram0"})
	k.AddBlockDevice(ramdisk{name: "/dev/ram1", ro: true})
	must(t, tk.Mkdir("/a", 0o755))
	must(t, tk.Mkdir("/b", 0o755))
	must(t, tk.Mkdir("/c", 0o755))
	must(t, tk.Mount("/dev/ram0", "/a", "bdevfs", 0, "nr_inodes=100"))
	must(t, tk.Mount("/dev/ram0", "/b", "bdevfs", 0, "nr_inodes=5"))
	var lines []string
	for _, l := range tk.MountInfo() {
		if strings.HasPrefix(l, "/dev/ram0") {
			lines = append(lines, l)
		}
	}
	want := []string{"/dev/ram0 /a bdevfs rw,relatime,nr_inodes=100 0 0", "/dev/ram0 /b bdevfs rw,relatime,nr_inodes=100 0 0"}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("/proc/mounts:\n got %q\nwant %q", lines, want)
	}
	wantErrno(t, "a read-only mount of a device mounted read-write", tk.Mount("/dev/ram0", "/c", "bdevfs", vfs.MS_RDONLY, ""), vfs.EBUSY)
	wantErrno(t, "a read-write mount of a read-only device", tk.Mount("/dev/ram1", "/c", "bdevfs", 0, ""), vfs.EACCES)
	wantErrno(t, "a device that does not exist", tk.Mount("/dev/ram9", "/c", "bdevfs", 0, ""), vfs.ENOENT)
	wantErrno(t, "an unknown filesystem type", tk.Mount("none", "/c", "nosuchfs", 0, ""), vfs.ENODEV)
	wantErrno(t, "an option tmpfs does not know", tk.Mount("none", "/c", "tmpfs", 0, "bogus=1"), vfs.EINVAL)
}

// Reference: docs/linux-semantics.md §7 fact 24, §6.2 (sb_prepare_remount_readonly).
func TestFact24RemountReadOnlyRefusedWhileUnlinkedFileOpen(t *testing.T) {
	_, tk := boot(t, vfs.Options{})
	fd := openUnlinked(t, tk, "f")
	ro := vfs.MS_REMOUNT | vfs.MS_RDONLY
	wantErrno(t, "remount,ro with an open unlinked file", tk.Mount("", "/mnt", "", ro, ""), vfs.EBUSY)
	must(t, tk.Close(fd))
	wantErrno(t, "remount,ro after it was closed", tk.Mount("", "/mnt", "", ro, ""), 0)
	_, err := tk.Open("/mnt/new", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	wantErrno(t, "creating on the read-only superblock", err, vfs.EROFS)
}
