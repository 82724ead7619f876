package vfstest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// brokenFS is tmpfs whose root directory's link forgets to count the new
// name: the kind of bug the conformance suite exists to catch.
type brokenFS struct{ vfs.TmpfsType }

func (brokenFS) Name() string { return "brokenfs" }

func (f brokenFS) FillSuper(sb *vfs.Superblock, data string) error {
	if err := f.TmpfsType.FillSuper(sb, data); err != nil {
		return err
	}
	root := sb.Root().Inode()
	root.Ops = forgetfulLink{root.Ops}
	return nil
}

type forgetfulLink struct{ inner any }

func (d forgetfulLink) Lookup(dir *vfs.Inode, name string) (*vfs.Inode, error) {
	return d.inner.(vfs.Lookuper).Lookup(dir, name)
}
func (d forgetfulLink) Create(dir *vfs.Inode, de *vfs.Dentry, mode vfs.FileMode, excl bool) error {
	return d.inner.(vfs.Creator).Create(dir, de, mode, excl)
}
func (d forgetfulLink) Unlink(dir *vfs.Inode, de *vfs.Dentry) error {
	return d.inner.(vfs.Unlinker).Unlink(dir, de)
}
func (d forgetfulLink) IterateDir(dir *vfs.Inode, pos int64, emit func(vfs.Dirent) bool) error {
	return d.inner.(vfs.DirIterator).IterateDir(dir, pos, emit)
}
func (d forgetfulLink) Link(old *vfs.Dentry, dir *vfs.Inode, de *vfs.Dentry) error {
	if err := d.inner.(vfs.Linker).Link(old, dir, de); err != nil {
		return err
	}
	old.Inode().DropNlink() // the bug
	return nil
}

// TestConformanceCatchesBrokenFS runs the suite on brokenFS in a child
// process and checks that it fails, naming the broken behaviour.
func TestConformanceCatchesBrokenFS(t *testing.T) {
	if os.Getenv("VFSTEST_RUN_BROKEN") == "1" {
		vfstest.TestFilesystem(t, vfstest.FSConfig{
			Type: "brokenfs",
			Setup: func(k *vfs.Kernel) (string, error) {
				k.RegisterFilesystem(brokenFS{})
				return "none", nil
			},
		})
		return
	}
	// A fixed seed: the check must not depend on what 20 random
	// sequences happen to contain.
	cmd := exec.Command(os.Args[0], "-test.run=^TestConformanceCatchesBrokenFS$", "-test.v", "-rapid.nofailfile", "-rapid.seed=1")
	cmd.Env = append(os.Environ(), "VFSTEST_RUN_BROKEN=1", "RAPID_CHECKS=20", "RAPID_SHRINKTIME=100ms")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the conformance suite passed a filesystem whose link does not count names:\n%s", out)
	}
	for _, want := range []string{
		// A wrong result is reported at its file and line.
		"vfs/vfstest/testdata/conformance/open-unlinked-inode-lives:26: fstat A: got file nlink=1 size=5, want file nlink=2 size=5",
		"V1: inode", // the invariant checker sees the miscount too
		// The unlink that drops nlink below 0 trips an assertion; it is
		// reported and the other cases still run.
		"open-unlinked-inode-lives:28: unlink b: assertion failure",
		"--- FAIL: TestConformanceCatchesBrokenFS/rename-over-open-file",
		// brokenfs has no tmpfile operation: the case says so and is
		// skipped, not passed.
		"requires tmpfile, but brokenfs has no O_TMPFILE",
		"--- SKIP: TestConformanceCatchesBrokenFS/tmpfile-linkable-once",
		"--- FAIL: TestConformanceCatchesBrokenFS/cross-check",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the failure output lacks %q:\n%s", want, out)
		}
	}
}
