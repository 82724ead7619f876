package script_test

import (
	"errors"
	"fmt"
	"testing"

	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/internal/hostkernel"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// nulCalls are the path-taking system calls of the op language's Sys,
// each given a path with a NUL in it (in one operand or the other).
var nulCalls = []struct {
	name string
	call func(s script.Sys) error
}{
	{"open", func(s script.Sys) error { _, err := s.Open("a\x00b", vfs.O_RDWR|vfs.O_CREAT, 0o644); return err }},
	{"openat", func(s script.Sys) error { _, err := s.Openat(vfs.AT_FDCWD, "a\x00", vfs.O_RDONLY, 0); return err }},
	{"link old", func(s script.Sys) error { return s.Link("missing\x00", "new") }},
	{"link new", func(s script.Sys) error { return s.Link("missing", "new\x00") }},
	{"linkat", func(s script.Sys) error { return s.Linkat(vfs.AT_FDCWD, "x", vfs.AT_FDCWD, "\x00", 0) }},
	{"unlink", func(s script.Sys) error { return s.Unlink("a\x00b") }},
	{"rmdir", func(s script.Sys) error { return s.Rmdir("\x00") }},
	{"mkdir", func(s script.Sys) error { return s.Mkdir("d\x00x", 0o755) }},
	{"mkdirat", func(s script.Sys) error { return s.Mkdirat(vfs.AT_FDCWD, "d\x00", 0o755) }},
	{"rename old", func(s script.Sys) error { return s.Rename("missing\x00", "b") }},
	{"renameat2 new", func(s script.Sys) error { return s.Renameat2(vfs.AT_FDCWD, "missing", vfs.AT_FDCWD, "b\x00", 0) }},
	{"mkfifo", func(s script.Sys) error { return s.Mkfifo("p\x00", 0o644) }},
	{"symlink target", func(s script.Sys) error { return s.Symlink("t\x00", "l") }},
	{"symlink path", func(s script.Sys) error { return s.Symlink("t", "l\x00") }},
	{"stat", func(s script.Sys) error { _, err := s.Stat("a\x00"); return err }},
	{"lstat", func(s script.Sys) error { _, err := s.Lstat("a\x00"); return err }},
	{"readlink", func(s script.Sys) error { _, err := s.Readlink("l\x00"); return err }},
	{"chdir", func(s script.Sys) error { return s.Chdir("\x00") }},
	{"chmod", func(s script.Sys) error { return s.Chmod("a\x00", 0o600) }},
	{"mount", func(s script.Sys) error {
		return s.(script.Mounter).Mount("none", "/nonexistent", "tmpfs", 0, "mode=0700\x00")
	}},
}

// A path with a NUL in it is EINVAL before the call does anything, on the
// simulator as on the real kernel through Go (whose syscall package
// refuses such a string: no system call is made, so this needs no
// privilege), whatever else is wrong with the call: the NUL is found
// first. The simulator's tree is unchanged afterwards.
func TestNulInPathIsEINVAL(t *testing.T) {
	m, err := script.Boot(script.Config{FS: "ext4"})
	if err != nil {
		t.Fatal(err)
	}
	before := m.Runner.Tree()
	for _, c := range nulCalls {
		for _, side := range []struct {
			name string
			sys  script.Sys
		}{{"simulator", m.Runner.T}, {"real kernel", hostkernel.Task{}}} {
			err := c.call(side.sys)
			if !errors.Is(err, vfs.EINVAL) {
				t.Errorf("%s on the %s: %v, want EINVAL", c.name, side.name, err)
			}
		}
	}
	if after := m.Runner.Tree(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the tree changed: %v -> %v", before, after)
	}
	if err := m.K.Shutdown(); err != nil {
		t.Fatal(err)
	}
}
