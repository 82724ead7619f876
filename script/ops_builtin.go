package script

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// The built-in ops: the system calls and observations of the kernel
// oracle, the simulator's further system calls, and the machine-level ops.
// Each registers like any package's op would (Register).

func init() {
	for _, s := range builtinOps {
		Register(s)
	}
}

// openFlagNames returns the open flags FLAGS accepts, sorted.
func openFlagNames() []string {
	out := make([]string, 0, len(openFlags))
	for n := range openFlags {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// stat is a stat op's result, in the oracle's shape.
func stat(s vfs.Stat_t) map[string]any {
	return map[string]any{"type": s.Mode.TypeName(), "nlink": uint64(s.Nlink), "size": s.Size}
}

// procFD is the /proc/self/fd path of descriptor fd.
func procFD(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// checkReadCount bounds read and pread counts (the runner allocates them).
func checkReadCount(arg int) func(op Op) (int, string) {
	return func(op Op) (int, string) {
		if op.N < 0 || op.N > MaxReadCount {
			return arg, fmt.Sprintf("count %d out of range [0, %d]", op.N, MaxReadCount)
		}
		return 0, ""
	}
}

// checkLastComponent requires a path operand with a last component (the
// name of a new subvolume).
func checkLastComponent(arg int) func(op Op) (int, string) {
	return func(op Op) (int, string) {
		p := op.Path
		if arg == 1 {
			p = op.Path2
		}
		if strings.HasSuffix(p, "/") {
			return arg, fmt.Sprintf("%q has no last component to name the subvolume", p)
		}
		return 0, ""
	}
}

// readOp is read and pread.
func readOp(r *Runner, op Op, fd int) (any, error) {
	buf := make([]byte, op.N)
	var n int
	var err error
	if op.Name == "read" {
		n, err = r.T.Read(fd, buf)
	} else {
		n, err = r.T.Pread(fd, buf, op.Off)
	}
	if err != nil {
		return nil, err
	}
	return string(buf[:n]), nil
}

// statOp is fstat, stat and lstat.
func statOp(r *Runner, op Op, fd int) (any, error) {
	var s vfs.Stat_t
	var err error
	switch op.Name {
	case "fstat":
		s, err = r.T.Fstat(fd)
	case "stat":
		s, err = r.T.Stat(r.p(op.Path))
	default:
		s, err = r.T.Lstat(r.p(op.Path))
	}
	if err != nil {
		return nil, err
	}
	return stat(s), nil
}

// renameFlagsOp is renameat2 with flags.
func renameFlagsOp(flags uint) func(r *Runner, op Op, fd int) (any, error) {
	return func(r *Runner, op Op, fd int) (any, error) {
		return nil, r.T.Renameat2(vfs.AT_FDCWD, r.p(op.Path), vfs.AT_FDCWD, r.p(op.Path2), flags)
	}
}

// str returns s as a result, or no result with err.
func str(s string, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}

var builtinOps = []OpSpec{
	// The kernel oracle's ops, with its syntax exactly.
	{Name: "open", Group: "oracle", Oracle: true, Args: []Arg{ArgPath, ArgFlags, ArgOut},
		Help: "open(2) with FLAGS and mode 0644; names the new descriptor",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			nfd, err := r.T.Open(r.p(op.Path), op.openFlags(), 0o644)
			return nil, r.Record(op.Out, nfd, err)
		}},
	{Name: "close", Group: "oracle", Oracle: true, UsesFD: true, Args: []Arg{ArgFD},
		Help: "close(2); the name is forgotten",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			err := r.T.Close(fd)
			r.Forget(op.FD)
			return nil, err
		}},
	{Name: "dup", Group: "oracle", Oracle: true, UsesFD: true, Args: []Arg{ArgFD, ArgOut},
		Help: "dup(2)",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			nfd, err := r.T.Dup(fd)
			return nil, r.Record(op.Out, nfd, err)
		}},
	{Name: "write", Group: "oracle", Oracle: true, UsesFD: true, Args: []Arg{ArgFD, ArgText},
		Help: "write(2) of TEXT at the file position",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			_, err := r.T.Write(fd, []byte(op.Text))
			return nil, err
		}},
	{Name: "pwrite", Group: "oracle", Oracle: true, UsesFD: true, Args: []Arg{ArgFD, ArgOff, ArgText},
		Help: "pwrite(2) of TEXT at OFF",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			_, err := r.T.Pwrite(fd, []byte(op.Text), op.Off)
			return nil, err
		}},
	{Name: "read", Group: "oracle", Oracle: true, UsesFD: true, Args: []Arg{ArgFD, ArgN}, Check: checkReadCount(1),
		Help: "read(2) of up to N bytes; ret: the bytes read", Run: readOp},
	{Name: "pread", Group: "oracle", Oracle: true, UsesFD: true, Args: []Arg{ArgFD, ArgOff, ArgN}, Check: checkReadCount(2),
		Help: "pread(2) of up to N bytes at OFF; ret: the bytes read", Run: readOp},
	{Name: "ftruncate", Group: "oracle", Oracle: true, UsesFD: true, Args: []Arg{ArgFD, ArgN},
		Help: "ftruncate(2) to N bytes",
		Run:  func(r *Runner, op Op, fd int) (any, error) { return nil, r.T.Ftruncate(fd, op.N) }},
	{Name: "link", Group: "oracle", Oracle: true, Args: []Arg{ArgPath, ArgPath2}, Usage: "link OLD NEW",
		Help: "link(2)",
		Run:  func(r *Runner, op Op, fd int) (any, error) { return nil, r.T.Link(r.p(op.Path), r.p(op.Path2)) }},
	{Name: "linkat-empty", Group: "oracle", Oracle: true, UsesFD: true, Args: []Arg{ArgFD, ArgPath},
		Help: `linkat(FD, "", AT_FDCWD, PATH, AT_EMPTY_PATH)`,
		Run: func(r *Runner, op Op, fd int) (any, error) {
			return nil, r.T.Linkat(fd, "", vfs.AT_FDCWD, r.p(op.Path), vfs.AT_EMPTY_PATH)
		}},
	{Name: "linkat-proc", Group: "oracle", Oracle: true, UsesFD: true, Args: []Arg{ArgFD, ArgPath},
		Help: `linkat(AT_FDCWD, "/proc/self/fd/N", AT_FDCWD, PATH, AT_SYMLINK_FOLLOW)`,
		Run: func(r *Runner, op Op, fd int) (any, error) {
			return nil, r.T.Linkat(vfs.AT_FDCWD, procFD(fd), vfs.AT_FDCWD, r.p(op.Path), vfs.AT_SYMLINK_FOLLOW)
		}},
	{Name: "unlink", Group: "oracle", Oracle: true, Args: []Arg{ArgPath}, Help: "unlink(2)",
		Run: func(r *Runner, op Op, fd int) (any, error) { return nil, r.T.Unlink(r.p(op.Path)) }},
	{Name: "rmdir", Group: "oracle", Oracle: true, Args: []Arg{ArgPath}, Help: "rmdir(2)",
		Run: func(r *Runner, op Op, fd int) (any, error) { return nil, r.T.Rmdir(r.p(op.Path)) }},
	{Name: "mkdir", Group: "oracle", Oracle: true, Args: []Arg{ArgPath}, Help: "mkdir(2) with mode 0755",
		Run: func(r *Runner, op Op, fd int) (any, error) { return nil, r.T.Mkdir(r.p(op.Path), 0o755) }},
	{Name: "rename", Group: "oracle", Oracle: true, Args: []Arg{ArgPath, ArgPath2}, Usage: "rename OLD NEW", Help: "rename(2)",
		Run: func(r *Runner, op Op, fd int) (any, error) { return nil, r.T.Rename(r.p(op.Path), r.p(op.Path2)) }},
	{Name: "mkfifo", Group: "oracle", Oracle: true, Args: []Arg{ArgPath}, Help: "mkfifo(3) with mode 0644",
		Run: func(r *Runner, op Op, fd int) (any, error) { return nil, r.T.Mkfifo(r.p(op.Path), 0o644) }},
	{Name: "symlink", Group: "oracle", Oracle: true, Args: []Arg{ArgWord, ArgPath}, Usage: "symlink TARGET PATH",
		Help: "symlink(2): PATH becomes a symbolic link to TARGET (taken as it is)",
		Run:  func(r *Runner, op Op, fd int) (any, error) { return nil, r.T.Symlink(op.Text, r.p(op.Path)) }},
	{Name: "fstat", Group: "oracle", Oracle: true, UsesFD: true, Args: []Arg{ArgFD},
		Help: "fstat(2); ret: type, nlink and size", Run: statOp},
	{Name: "stat", Group: "oracle", Oracle: true, Args: []Arg{ArgPath},
		Help: "stat(2); ret: type, nlink and size", Run: statOp},
	{Name: "lstat", Group: "oracle", Oracle: true, Args: []Arg{ArgPath},
		Help: "lstat(2); ret: type, nlink and size", Run: statOp},
	{Name: "cat", Group: "oracle", Oracle: true, Args: []Arg{ArgPath},
		Help: "open, read to the end, close; ret: the contents (of a file longer than 1 MiB, the first MiB and a note of how much more there is)",
		Run:  func(r *Runner, op Op, fd int) (any, error) { return str(r.cat(r.p(op.Path))) }},
	{Name: "tree", Group: "oracle", Oracle: true,
		Help: "every path but lost+found, depth first in name order, with type, nlink, size and an inode label (i1, i2, ... by first appearance)",
		Run:  func(r *Runner, op Op, fd int) (any, error) { return r.Tree(), nil }},
	{Name: "orphans", Group: "oracle", Oracle: true,
		Help: "after a sync, the filesystem's on-disk orphan list (ext4: the chain from s_last_orphan; btrfs: the top subvolume's orphan items), each inode named by the first-opened fd still open on it, else ino:N; no ret on a filesystem without one",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			or, err := Need[OrphanReader](r, op)
			if err != nil {
				return nil, err
			}
			inos, ok, err := or.OnDiskOrphans(r.Root)
			var errno vfs.Errno
			if err != nil && !errors.As(err, &errno) {
				return nil, err // the device could not be read: not a result
			}
			if err != nil || !ok {
				// The oracle prints no ret where there is no list.
				return nil, nil
			}
			out := []string{}
			for _, ino := range inos {
				out = append(out, r.holder(ino))
			}
			return out, nil
		}},

	// More system calls.
	{Name: "lseek", Group: "file", UsesFD: true, Args: []Arg{ArgFD, ArgOff, ArgN}, Usage: "lseek FD OFF WHENCE",
		Help: "lseek(2); WHENCE 0 set, 1 cur, 2 end, 3 data, 4 hole; ret: the new position",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			pos, err := r.T.Lseek(fd, op.Off, int(op.N))
			if err != nil {
				return nil, err
			}
			return pos, nil
		}},
	{Name: "openat", Group: "file", UsesFD: true, Args: []Arg{ArgFD, ArgPath, ArgFlags, ArgOut},
		Help: "openat(2) with PATH relative to the directory FD",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			nfd, err := r.T.Openat(fd, op.Path, op.openFlags(), 0o644)
			return nil, r.Record(op.Out, nfd, err)
		}},
	{Name: "mkdirat", Group: "file", UsesFD: true, Args: []Arg{ArgFD, ArgPath},
		Help: "mkdirat(2) with PATH relative to the directory FD",
		Run:  func(r *Runner, op Op, fd int) (any, error) { return nil, r.T.Mkdirat(fd, op.Path, 0o755) }},
	{Name: "linkat-proc-nofollow", Group: "file", UsesFD: true, Args: []Arg{ArgFD, ArgPath},
		Help: `linkat(AT_FDCWD, "/proc/self/fd/N", AT_FDCWD, PATH, 0): links the magic link itself`,
		Run: func(r *Runner, op Op, fd int) (any, error) {
			return nil, r.T.Linkat(vfs.AT_FDCWD, procFD(fd), vfs.AT_FDCWD, r.p(op.Path), 0)
		}},
	{Name: "rename-noreplace", Group: "file", Args: []Arg{ArgPath, ArgPath2}, Usage: "rename-noreplace OLD NEW",
		Help: "renameat2(2) with RENAME_NOREPLACE", Run: renameFlagsOp(vfs.RENAME_NOREPLACE)},
	{Name: "rename-exchange", Group: "file", Args: []Arg{ArgPath, ArgPath2}, Usage: "rename-exchange OLD NEW",
		Help: "renameat2(2) with RENAME_EXCHANGE", Run: renameFlagsOp(vfs.RENAME_EXCHANGE)},
	{Name: "readlink", Group: "file", Args: []Arg{ArgPath}, Help: "readlink(2); ret: the target",
		Run: func(r *Runner, op Op, fd int) (any, error) { return str(r.T.Readlink(r.p(op.Path))) }},
	{Name: "readlink-fd", Group: "file", UsesFD: true, Args: []Arg{ArgFD},
		Help: `readlink("/proc/self/fd/N"); ret: the path d_path gives, " (deleted)" for an unlinked file`,
		Run:  func(r *Runner, op Op, fd int) (any, error) { return str(r.T.Readlink(procFD(fd))) }},
	{Name: "ino", Group: "file", Args: []Arg{ArgPath}, Help: "lstat(2)'s st_ino, so that inode numbering is compared too",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			s, err := r.T.Lstat(r.p(op.Path))
			if err != nil {
				return nil, err
			}
			return s.Ino, nil
		}},
	{Name: "ls", Group: "file", Args: []Arg{ArgPath}, Help: "getdents(2) to the end; ret: the names in the order returned",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			names, err := r.ls(r.p(op.Path))
			if err != nil {
				return nil, err
			}
			return names, nil
		}},
	{Name: "chdir", Group: "file", Args: []Arg{ArgPath}, Help: "chdir(2)",
		Run: func(r *Runner, op Op, fd int) (any, error) { return nil, r.T.Chdir(r.p(op.Path)) }},
	{Name: "chmod", Group: "file", Args: []Arg{ArgPath, ArgMode}, Help: "chmod(2) to the octal MODE",
		Run: func(r *Runner, op Op, fd int) (any, error) { return nil, r.T.Chmod(r.p(op.Path), vfs.FileMode(op.N)) }},
	{Name: "chattr", Group: "file", UsesFD: true, Args: []Arg{ArgFD, ArgWord}, Usage: "chattr FD +i|-i|+a|-a",
		Help: "FS_IOC_GETFLAGS, then FS_IOC_SETFLAGS with the immutable (i) or append-only (a) flag set or cleared",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			fl, err := Need[InodeFlagger](r, op)
			if err != nil {
				return nil, err
			}
			return nil, chattr(fl, fd, op.Text)
		}},

	// Mounts and credentials.
	{Name: "bind", Group: "namespace", Args: []Arg{ArgPath, ArgPath2}, Usage: "bind SRC DST",
		Help: "mount --bind SRC DST",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			m, err := Need[Mounter](r, op)
			if err != nil {
				return nil, err
			}
			return nil, m.Mount(r.p(op.Path), r.p(op.Path2), "", vfs.MS_BIND, "")
		}},
	{Name: "remount-ro", Group: "namespace", Args: []Arg{ArgPath}, Help: "mount -o remount,bind,ro PATH: the mount, not the filesystem, becomes read-only",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			m, err := Need[Mounter](r, op)
			if err != nil {
				return nil, err
			}
			return nil, m.Mount("", r.p(op.Path), "", vfs.MS_REMOUNT|vfs.MS_BIND|vfs.MS_RDONLY, "")
		}},
	{Name: "mount", Group: "namespace", Args: []Arg{ArgWords}, Usage: "mount SRC DIR FSTYPE [OPTS]", Example: "mount none t tmpfs mode=0700",
		Help: "mount(2) of SRC (a device such as /dev/loop0, or none) on DIR with type FSTYPE and data OPTS",
		Check: func(op Op) (int, string) {
			if n := len(op.Words); n < 3 || n > 4 {
				return 0, "want SRC DIR FSTYPE [OPTS]"
			}
			return 0, ""
		},
		Run: func(r *Runner, op Op, fd int) (any, error) {
			m, err := Need[Mounter](r, op)
			if err != nil {
				return nil, err
			}
			data := ""
			if len(op.Words) == 4 {
				data = op.Words[3]
			}
			return nil, m.Mount(op.Words[0], r.p(op.Words[1]), op.Words[2], 0, data)
		}},
	{Name: "umount", Group: "namespace", Args: []Arg{ArgPath}, Help: "umount2(2) without flags",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			m, err := Need[Mounter](r, op)
			if err != nil {
				return nil, err
			}
			return nil, m.Umount(r.p(op.Path), 0)
		}},
	{Name: "setuid", Group: "namespace", Args: []Arg{ArgN}, Usage: "setuid UID",
		Help: "become UID (and gid UID) with no capabilities",
		Run: func(r *Runner, op Op, fd int) (any, error) {
			c, err := Need[CredSetter](r, op)
			if err != nil {
				return nil, err
			}
			c.SetCred(vfs.UserCred(uint32(op.N), uint32(op.N)))
			return nil, nil
		}},
}

// chattr reads the inode's flags and sets or clears one.
func chattr(fl InodeFlagger, fd int, spec string) error {
	flags, err := fl.InodeFlags(fd)
	if err != nil {
		return err
	}
	if len(spec) != 2 || (spec[0] != '+' && spec[0] != '-') {
		return vfs.EINVAL
	}
	var bit vfs.InodeFlags
	switch spec[1] {
	case 'i':
		bit = vfs.S_IMMUTABLE
	case 'a':
		bit = vfs.S_APPEND
	default:
		return vfs.EINVAL
	}
	if spec[0] == '+' {
		flags |= bit
	} else {
		flags &^= bit
	}
	return fl.SetInodeFlags(fd, flags)
}
