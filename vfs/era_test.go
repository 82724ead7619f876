package vfs_test

import (
	"fmt"
	"testing"

	"github.com/relinksim/relinksim/vfs"
)

// relinkFS is tmpfs whose root directory also offers the 2011 series' .relink
// operation, recording which of .link and .relink vfs_link called.
type relinkFS struct {
	vfs.TmpfsType
	calls *[]string
}

func (relinkFS) Name() string { return "relinkfs" }

func (f relinkFS) FillSuper(sb *vfs.Superblock, data string) error {
	if err := f.TmpfsType.FillSuper(sb, data); err != nil {
		return err
	}
	root := sb.Root().Inode()
	root.Ops = relinkDir{inner: root.Ops, calls: f.calls}
	return nil
}

// relinkDir forwards the directory operations the test uses to tmpfs.
type relinkDir struct {
	inner any
	calls *[]string
}

func (d relinkDir) Lookup(dir *vfs.Inode, name string) (*vfs.Inode, error) {
	return d.inner.(vfs.Lookuper).Lookup(dir, name)
}
func (d relinkDir) Create(dir *vfs.Inode, de *vfs.Dentry, mode vfs.FileMode, excl bool) error {
	return d.inner.(vfs.Creator).Create(dir, de, mode, excl)
}
func (d relinkDir) Unlink(dir *vfs.Inode, de *vfs.Dentry) error {
	return d.inner.(vfs.Unlinker).Unlink(dir, de)
}
func (d relinkDir) IterateDir(dir *vfs.Inode, pos int64, emit func(vfs.Dirent) bool) error {
	return d.inner.(vfs.DirIterator).IterateDir(dir, pos, emit)
}
func (d relinkDir) Link(old *vfs.Dentry, dir *vfs.Inode, de *vfs.Dentry) error {
	*d.calls = append(*d.calls, fmt.Sprintf("link(nlink %d)", old.Inode().Nlink()))
	return d.inner.(vfs.Linker).Link(old, dir, de)
}
func (d relinkDir) Relink(old *vfs.Dentry, dir *vfs.Inode, de *vfs.Dentry) error {
	*d.calls = append(*d.calls, fmt.Sprintf("relink(nlink %d)", old.Inode().Nlink()))
	return d.inner.(vfs.Linker).Link(old, dir, de)
}

// Seed patch 01: "make the VFS call .relink where possible and .link
// otherwise" — only in the 2011 era; and upstream's vfs_link refuses nlink
// 0 before calling the filesystem at all.
func TestVFSLinkCallsRelinkOnlyIn2011(t *testing.T) {
	want := map[vfs.Era]struct {
		calls string
		err   vfs.Errno
	}{
		vfs.Pre2007:         {"[link(nlink 1) link(nlink 0)]", 0},
		vfs.SandeenRFC:      {"[link(nlink 1) link(nlink 0)]", 0},
		vfs.ENOENT2007:      {"[link(nlink 1) link(nlink 0)]", 0},
		vfs.Relink2011:      {"[relink(nlink 1) relink(nlink 0)]", 0},
		vfs.Relink2011Fixed: {"[relink(nlink 1) relink(nlink 0)]", 0},
		vfs.Upstream:        {"[link(nlink 1)]", vfs.ENOENT},
	}
	for _, era := range vfs.Eras {
		t.Run(era.String(), func(t *testing.T) {
			var calls []string
			k, tk := boot(t, vfs.Options{Era: era})
			k.RegisterFilesystem(relinkFS{calls: &calls})
			must(t, tk.Mkdir("/rl", 0o755))
			must(t, tk.Mount("none", "/rl", "relinkfs", 0, ""))
			fd := mustOpen(t, tk, "/rl/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
			must(t, tk.Link("/rl/f", "/rl/g"))
			must(t, tk.Unlink("/rl/f"))
			must(t, tk.Unlink("/rl/g"))
			err := tk.Linkat(vfs.AT_FDCWD, procFD(fd), vfs.AT_FDCWD, "/rl/back", vfs.AT_SYMLINK_FOLLOW)
			wantErrno(t, "relinking the nlink-0 file through /proc/self/fd", err, want[era].err)
			if got := fmt.Sprint(calls); got != want[era].calls {
				t.Errorf("filesystem calls %s, want %s", got, want[era].calls)
			}
		})
	}
}

// The eras' feature sets differ exactly where their kernels did.
func TestEraFeatureMatrix(t *testing.T) {
	type result map[vfs.Era]vfs.Errno
	old := func(oldErr, upstream vfs.Errno) result {
		return result{vfs.Pre2007: oldErr, vfs.SandeenRFC: oldErr, vfs.ENOENT2007: oldErr, vfs.Relink2011: oldErr, vfs.Relink2011Fixed: oldErr, vfs.Upstream: upstream}
	}
	cases := []struct {
		name string
		run  func(t *testing.T, tk *vfs.Task) error
		want result
	}{
		{"linkat(AT_EMPTY_PATH) exists from 2.6.39", func(t *testing.T, tk *vfs.Task) error {
			fd := mustOpen(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
			return tk.Linkat(fd, "", vfs.AT_FDCWD, "/mnt/g", vfs.AT_EMPTY_PATH)
		}, old(vfs.EINVAL, 0)},
		{"O_TMPFILE exists from 3.11 (before: O_DIRECTORY|O_RDWR on a directory)", func(t *testing.T, tk *vfs.Task) error {
			_, err := tk.Open("/mnt", vfs.O_TMPFILE|vfs.O_RDWR, 0o600)
			return err
		}, old(vfs.EISDIR, 0)},
		{"renameat2 exists from 3.15", func(t *testing.T, tk *vfs.Task) error {
			mustOpen(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
			return tk.Renameat2(vfs.AT_FDCWD, "/mnt/f", vfs.AT_FDCWD, "/mnt/g", vfs.RENAME_NOREPLACE)
		}, old(vfs.ENOSYS, 0)},
		{"vfs_link refuses nlink 0 from 2.6.39", func(t *testing.T, tk *vfs.Task) error {
			fd := openUnlinked(t, tk, "f")
			return tk.Linkat(vfs.AT_FDCWD, procFD(fd), vfs.AT_FDCWD, "/mnt/g", vfs.AT_SYMLINK_FOLLOW)
		}, old(0, vfs.ENOENT)},
		// Before 5.7 the kernel created a regular file and opened it
		// (5.7 to 6.3 created it and failed with ENOTDIR); 6.4 refuses the
		// combination up front (43b450632676's changelog).
		{"O_CREAT|O_DIRECTORY is EINVAL from 6.4", func(t *testing.T, tk *vfs.Task) error {
			_, err := tk.Open("/mnt/new", vfs.O_CREAT|vfs.O_DIRECTORY|vfs.O_RDWR, 0o644)
			st, statErr := tk.Stat("/mnt/new")
			if created := statErr == nil && st.Mode.IsRegular(); created != (tk.Kernel().Era() != vfs.Upstream) {
				t.Errorf("regular file created: %v", created)
			}
			return err
		}, old(0, vfs.EINVAL)},
		{"O_CREAT|O_DIRECTORY on an existing file", func(t *testing.T, tk *vfs.Task) error {
			mustOpen(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
			_, err := tk.Open("/mnt/f", vfs.O_CREAT|vfs.O_DIRECTORY|vfs.O_RDWR, 0o644)
			return err
		}, old(vfs.ENOTDIR, vfs.EINVAL)},
		{"protected_hardlinks exists from 3.6", func(t *testing.T, tk *vfs.Task) error {
			must(t, tk.Close(mustOpen(t, tk, "/mnt/root600", vfs.O_CREAT|vfs.O_RDWR, 0o600)))
			must(t, tk.Mkdir("/mnt/pub", 0o777))
			must(t, tk.Chmod("/mnt/pub", 0o777))
			tk.SetCred(vfs.UserCred(65534, 65534))
			return tk.Link("/mnt/root600", "/mnt/pub/l")
		}, old(0, vfs.EPERM)},
		{"EXDEV beats EEXIST before 3.x", func(t *testing.T, tk *vfs.Task) error {
			mustOpen(t, tk, "/mnt/f", vfs.O_CREAT|vfs.O_RDWR, 0o644)
			mustOpen(t, tk, "/f2", vfs.O_CREAT|vfs.O_RDWR, 0o644)
			return tk.Link("/mnt/f", "/f2")
		}, old(vfs.EXDEV, vfs.EEXIST)},
	}
	for _, c := range cases {
		for _, era := range vfs.Eras {
			t.Run(c.name+"/"+era.String(), func(t *testing.T) {
				_, tk := boot(t, vfs.Options{Era: era, ProtectedHardlinks: true})
				root := tk.Cred()
				wantErrno(t, c.name, c.run(t, tk), c.want[era])
				tk.SetCred(root)
			})
		}
	}
}
