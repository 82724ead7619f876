package vfstest

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scriptgen"
	"github.com/relinksim/relinksim/vfs"
)

// FSConfig describes a filesystem for TestFilesystem.
type FSConfig struct {
	// Type is the filesystem type's name as mount(2) takes it.
	Type string
	// Setup registers the type on a new kernel, adds its block device if it
	// needs one, and returns the mount source. Nil means a built-in type
	// mounted from "none".
	Setup func(k *vfs.Kernel) (source string, err error)
}

// TestFilesystem checks that a filesystem implementation behaves as the VFS
// contract and Linux require, whatever its on-disk design: the life of an
// open-but-unlinked inode, O_TMPFILE's one-shot I_LINKABLE, rename over an
// open file, removal of an open directory, the era rules the VFS enforces
// for it, robustness against misuse of descriptors, and — after every step
// of generated op sequences — that fstat on a descriptor, stat on each name
// and the directory listing agree, and that the kernel's invariants hold.
//
// Like testing/fstest.TestFS it reports every misbehaviour it finds rather
// than stopping at the first; an assertion failure inside the filesystem is
// reported and the remaining cases still run. The cross-check runs rapid's
// number of generated sequences (-rapid.checks or RAPID_CHECKS, default
// 100). Call it in one line:
//
//	func TestConformance(t *testing.T) { vfstest.TestFilesystem(t, vfstest.FSConfig{Type: "tmpfs"}) }
func TestFilesystem(t *testing.T, cfg FSConfig) {
	for _, c := range conformanceCases {
		t.Run(c.name, func(t *testing.T) {
			m, err := script.NewMachine(vfs.Options{Era: c.era}, cfg.Type, cfg.Setup)
			if err != nil {
				t.Fatalf("mount %s: %v", cfg.Type, err)
			}
			if runCase(t, c, m) {
				Finish(t, m.K)
			}
		})
	}
	t.Run("cross-check", func(t *testing.T) {
		rapid.Check(t, func(rt *rapid.T) {
			m, err := script.NewMachine(vfs.Options{}, cfg.Type, cfg.Setup)
			if err != nil {
				rt.Fatalf("mount %s: %v", cfg.Type, err)
			}
			// The generator tracks state on a shadow of the filesystem under
			// test, so its ops fit that filesystem (its inode numbers, its
			// rules).
			ops := scriptgen.Ops(scriptgen.GenConfig{MinOps: 10, MaxOps: 40, FS: cfg.Type, Setup: cfg.Setup}).Draw(rt, "ops")
			for _, op := range ops {
				m.Step(op)
				for _, p := range crossCheck(m) {
					rt.Errorf("after %q: %s", op.String(), p)
				}
				if vs := m.K.CheckInvariants(); len(vs) > 0 {
					rt.Fatalf("after %q: %v", op.String(), vfs.InvariantError(vs))
				}
			}
			if err := m.K.Shutdown(); err != nil {
				rt.Fatalf("leak check: %v", err)
			}
		})
	})
}

// runCase runs one case, turning an assertion failure (a bug the
// filesystem or the simulator caught in itself) into a reported error so the
// other cases still run. It reports whether the kernel is still consistent
// enough for the leak check.
func runCase(t *testing.T, c conformanceCase, m *script.Machine) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			var af *vfs.AssertionFailure
			if e, isErr := r.(error); !isErr || !errors.As(e, &af) {
				panic(r)
			}
			t.Errorf("assertion failure, a bug in the filesystem or the simulator: %v", af)
			ok = false
		}
	}()
	c.run(&checker{T: t, m: m})
	return true
}

// checker runs a case's script and reports mismatches without stopping.
type checker struct {
	*testing.T
	m *script.Machine
}

// expect runs one op and reports a result other than want ("ok", an errno
// name, or a value as Describe prints it).
func (c *checker) expect(op, want string) {
	c.Helper()
	o, err := script.ParseOp(op)
	if err != nil {
		c.Fatalf("bad op %q: %v", op, err)
	}
	st := c.m.Step(o)
	got := strings.TrimPrefix(st.Describe(), st.Op+": ")
	if got != want && !(want == "ok" && st.Errno == "" && st.Ret != nil) {
		c.Errorf("%s: got %s, want %s", op, got, want)
	}
	if vs := c.m.K.CheckInvariants(); len(vs) > 0 {
		c.Errorf("after %s: %v", op, vfs.InvariantError(vs))
	}
}

type conformanceCase struct {
	name string
	era  vfs.Era
	run  func(c *checker)
}

var conformanceCases = []conformanceCase{
	{name: "open-unlinked-inode-lives", run: func(c *checker) {
		c.expect("open a creat,rdwr -> A", "ok")
		c.expect("write A hello", "ok")
		c.expect("link a b", "ok")
		c.expect("fstat A", "file nlink=2 size=5")
		c.expect("unlink a", "ok")
		c.expect("unlink b", "ok")
		c.expect("fstat A", "file nlink=0 size=5")
		c.expect("pread A 0 5", `"hello"`)
		c.expect("pwrite A 5 !", "ok")
		c.expect("fstat A", "file nlink=0 size=6")
		c.expect("stat a", "error ENOENT")
		c.expect("close A", "ok")
	}},
	{name: "upstream-refuses-nlink-0", run: func(c *checker) {
		c.expect("open a creat,rdwr -> A", "ok")
		c.expect("unlink a", "ok")
		c.expect("linkat-proc A back", "error ENOENT")
		c.expect("linkat-empty A back", "error ENOENT")
		c.expect("linkat-proc-nofollow A back", "error EXDEV")
		c.expect("fstat A", "file nlink=0 size=0")
	}},
	{name: "tmpfile-linkable-once", run: func(c *checker) {
		c.expect("mkdir d", "ok")
		st := c.m.Step(mustOp("open d rdwr,tmpfile -> T"))
		if st.Errno == "EOPNOTSUPP" {
			c.Log("no O_TMPFILE support (EOPNOTSUPP)")
			return
		}
		c.expect("fstat T", "file nlink=0 size=0")
		c.expect("write T x", "ok")
		c.expect("linkat-empty T d/one", "ok")
		c.expect("fstat T", "file nlink=1 size=1")
		c.expect("linkat-proc T d/two", "ok")
		c.expect("unlink d/one", "ok")
		c.expect("unlink d/two", "ok")
		c.expect("linkat-empty T d/three", "error ENOENT")
		c.expect("open d rdwr,tmpfile,excl -> X", "ok")
		c.expect("linkat-empty X d/four", "error ENOENT")
		c.expect("cat d/one", "error ENOENT")
	}},
	{name: "rename-over-open-file", run: func(c *checker) {
		c.expect("open old creat,rdwr -> O", "ok")
		c.expect("write O old", "ok")
		c.expect("open new creat,rdwr -> N", "ok")
		c.expect("write N new", "ok")
		c.expect("rename new old", "ok")
		c.expect("fstat O", "file nlink=0 size=3")
		c.expect("pread O 0 3", `"old"`)
		c.expect("cat old", `"new"`)
		c.expect("stat new", "error ENOENT")
		c.expect("rename old old", "ok")
		c.expect("link old hard", "ok")
		c.expect("rename old hard", "ok")
		c.expect("stat old", "file nlink=2 size=3")
	}},
	{name: "rmdir-open-directory", run: func(c *checker) {
		c.expect("mkdir d", "ok")
		c.expect("mkdir d/sub", "ok")
		c.expect("rmdir d", "error ENOTEMPTY")
		c.expect("open d/sub directory -> D", "ok")
		c.expect("rmdir d/sub", "ok")
		c.expect("fstat D", "ok")
		c.expect("mkdirat D x", "error ENOENT")
		c.expect("openat D x creat,rdwr -> X", "error ENOENT")
		c.expect("rmdir d", "ok")
		c.expect("close D", "ok")
	}},
	{name: "link-errors", run: func(c *checker) {
		c.expect("open f creat,rdwr -> F", "ok")
		c.expect("mkdir d", "ok")
		c.expect("link d dlink", "error EPERM")
		c.expect("link f d", "error EEXIST")
		c.expect("link f x/", "error ENOENT")
		c.expect("link f missing/x", "error ENOENT")
		c.expect("link missing x", "error ENOENT")
		c.expect("link f/ x", "error ENOTDIR")
		c.expect("symlink f s", "ok")
		c.expect("link s s2", "ok")
		c.expect("lstat s2", "symlink nlink=2 size=1")
	}},
	{name: "descriptor-misuse", run: func(c *checker) {
		c.expect("open f creat,wronly -> F", "ok")
		c.expect("read F 1", "error EBADF")
		c.expect("dup F -> G", "ok")
		c.expect("close F", "ok")
		c.expect("close F", "error EBADF")
		c.expect("write G still", "ok")
		c.expect("open . directory -> D", "ok")
		c.expect("write D x", "error EBADF")
		c.expect("read D 1", "error EISDIR")
		c.expect("ftruncate D 0", "error EINVAL")
		c.expect("linkat-empty D dir2", "error EPERM")
	}},
	{name: "relink2011-relinks", era: vfs.Relink2011, run: func(c *checker) {
		c.expect("open a creat,rdwr -> A", "ok")
		c.expect("write A kept", "ok")
		c.expect("unlink a", "ok")
		c.expect("linkat-proc A back", "ok")
		c.expect("fstat A", "file nlink=1 size=4")
		c.expect("cat back", `"kept"`)
	}},
}

func mustOp(s string) script.Op {
	op, err := script.ParseOp(s)
	if err != nil {
		panic(err)
	}
	return op
}

// crossCheck compares what three ways of looking at every name say: the
// directory listing (d_ino, d_type), lstat on the name, and fstat through
// an open descriptor; and that a non-directory's nlink counts its names.
func crossCheck(m *script.Machine) []string {
	t := m.T.(*vfs.Task)
	var problems []string
	type devIno struct {
		dev uint32
		ino uint64
	}
	names := map[devIno]int{}
	nlink := map[devIno]uint32{}
	stats := map[devIno]vfs.Stat_t{}
	var walk func(rel string)
	walk = func(rel string) {
		dir := m.Root + "/" + rel
		fd, err := t.Open(dir, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
		if err != nil {
			problems = append(problems, fmt.Sprintf("open directory %q: %v", rel, err))
			return
		}
		defer t.Close(fd)
		ents, err := t.ReadDir(fd)
		if err != nil {
			problems = append(problems, fmt.Sprintf("getdents %q: %v", rel, err))
			return
		}
		self, _ := t.Stat(dir)
		seen := map[string]bool{}
		for i, e := range ents {
			if seen[e.Name] {
				problems = append(problems, fmt.Sprintf("directory %q lists %q twice", rel, e.Name))
			}
			seen[e.Name] = true
			switch {
			case i == 0 && e.Name != "." || i == 1 && e.Name != "..":
				problems = append(problems, fmt.Sprintf("directory %q: entry %d is %q, want . then ..", rel, i, e.Name))
			case e.Name == ".":
				if e.Ino != self.Ino {
					problems = append(problems, fmt.Sprintf("directory %q: . has d_ino %d, stat says %d", rel, e.Ino, self.Ino))
				}
			case e.Name == "..":
			default:
				p := path.Join(rel, e.Name)
				st, err := t.Lstat(m.Root + "/" + p)
				if err != nil {
					problems = append(problems, fmt.Sprintf("%q is listed but lstat fails: %v", p, err))
					continue
				}
				if st.Ino != e.Ino || st.Mode.Type() != e.Type {
					problems = append(problems, fmt.Sprintf("%q: listing says ino %d type %s, lstat says ino %d type %s",
						p, e.Ino, e.Type.TypeName(), st.Ino, st.Mode.TypeName()))
				}
				if st.Mode.IsDir() {
					walk(p)
					continue
				}
				names[devIno{st.Dev, st.Ino}]++
				nlink[devIno{st.Dev, st.Ino}] = st.Nlink
				stats[devIno{st.Dev, st.Ino}] = st
				if st.Mode.IsRegular() {
					if fd, err := t.Open(m.Root+"/"+p, vfs.O_RDONLY, 0); err == nil {
						fst, _ := t.Fstat(fd)
						t.Close(fd)
						if fst != st {
							problems = append(problems, fmt.Sprintf("%q: fstat %v differs from stat %v", p, fst, st))
						}
					}
				}
			}
		}
	}
	walk("")
	keys := make([]devIno, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].dev != keys[j].dev {
			return keys[i].dev < keys[j].dev
		}
		return keys[i].ino < keys[j].ino
	})
	for _, k := range keys {
		if uint32(names[k]) != nlink[k] {
			problems = append(problems, fmt.Sprintf("inode %d (st_dev %d) has nlink %d but %d names", k.ino, k.dev, nlink[k], names[k]))
		}
	}
	// Every open descriptor agrees with the tree: a non-directory that a
	// name reaches looks the same through the descriptor as through the
	// name, and one that no name reaches has nlink 0 (it is an orphan,
	// kept alive only by the descriptor).
	for _, name := range m.FDNames() {
		fd, _ := m.FD(name)
		fst, err := t.Fstat(fd)
		switch {
		case errors.Is(err, vfs.EBADF):
			continue // the script closed it behind the runner's back
		case err != nil:
			problems = append(problems, fmt.Sprintf("fstat %s: %v", name, err))
			continue
		case fst.Mode.IsDir():
			continue
		}
		if st, ok := stats[devIno{fst.Dev, fst.Ino}]; ok {
			if fst != st {
				problems = append(problems, fmt.Sprintf("fstat %s %v differs from lstat of its names %v", name, fst, st))
			}
		} else if fst.Nlink != 0 {
			problems = append(problems, fmt.Sprintf("%s is open on inode %d with nlink %d, but no name reaches it", name, fst.Ino, fst.Nlink))
		}
	}
	return problems
}
