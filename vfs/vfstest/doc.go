// Package vfstest holds test helpers for code built on package vfs: kernels
// whose invariants and leaks are checked when the test ends (NewKernel,
// Finish), small assertions on errnos (WantErrno), and the conformance
// suite every filesystem implementation runs (TestFilesystem).
//
// Every test of the project ends with a leak check: a kernel made with
// NewKernel is shut down in the test's cleanup, and any object still alive
// afterwards — a reference somebody took and never dropped — fails the test
// by name.
//
// # The conformance suite
//
// TestFilesystem checks that a filesystem implementation keeps the promises
// Linux makes whatever the on-disk design: an open but unlinked inode lives
// on until its last close; today's VFS refuses to link an inode whose
// nlink is 0, except an O_TMPFILE inode, and that only once; rename over an
// open file and rmdir of an open directory leave the descriptor working;
// link(2) gives the errnos the VFS decides; misused descriptors fail
// cleanly; under the 2011 relink series an orphan gets its name back. A
// filesystem author runs it in one line, with the type's mount(2) name as
// the filesystem registered it (vfs.RegisterFS; FSConfig.Setup for one
// that is not registered). For a registered filesystem it also checks
// that the registry's declarations hold (CheckFSInfo):
//
//	func TestConformance(t *testing.T) {
//		vfstest.TestFilesystem(t, vfstest.FSConfig{Type: "ext4"})
//	}
//
// Each case is a file under testdata/conformance, embedded in the package
// (so the suite runs from any package's test directory) and run as a
// subtest named after the file. Every op of a case runs, even after a wrong
// result; each wrong result is reported at its file and line; the kernel's
// invariants are checked after every op; the leak check (Finish) runs at
// the end of the case. An assertion failure inside the filesystem (a panic
// with a *vfs.AssertionFailure) ends its case, reported at the op's line,
// and the other cases still run. A last subtest, cross-check, runs rapid's
// generated op sequences and checks after every op that the directory
// listing, lstat of every name and fstat of every open descriptor agree,
// and that the invariants hold.
//
// # The case files
//
// A case file tells one story. It begins with '#' comment lines saying what
// the case checks and why — the kernel rule, the commit that made it, what
// relies on it — then gives cockroachdb/datadriven commands:
//
//	kernel [era=ERA]
//	    Boot a kernel and mount a fresh filesystem of the type under test;
//	    ops' paths are relative to its root. ERA is a vfs.Era name
//	    (upstream, the default; relink2011; ...). Exactly one per case,
//	    first. It prints nothing.
//	requires tmpfile
//	    Probe a fresh mount: if open(2) with O_TMPFILE fails with
//	    EOPNOTSUPP there, skip the case (t.Skip) with that reason rather
//	    than let it pass. It prints nothing.
//	run
//	    Run the input's ops (package script's op language, one per line;
//	    blank lines and '#' comments are skipped) and print each op with
//	    its result: "OP: RESULT".
//
// for example
//
//	kernel era=relink2011
//	----
//
//	run
//	open a creat,rdwr -> A
//	unlink a
//	fstat A
//	----
//	open a creat,rdwr -> A: ok
//	unlink a: ok
//	fstat A: file nlink=0 size=0
//
// # Printing results the same on every filesystem
//
// One file serves every filesystem, so a result must print the same on all
// of them. Where Linux filesystems legitimately differ the printed form
// leaves the difference out:
//
//   - "ok" for success with no value, "error ERRNO" for a failure;
//   - read, pread, cat and readlink print the data as a quoted Go string;
//   - stat, lstat and fstat print "TYPE nlink=N size=S" for anything but a
//     directory (file, symlink, fifo), and just "dir" for a directory: its
//     st_nlink and st_size are the filesystem's own (btrfs directories have
//     nlink 1, ext4 sizes count blocks, btrfs sizes count name bytes);
//   - ls prints the names sorted: getdents order is the filesystem's.
//
// Ops whose results are specific to a filesystem (ino, tree, readlink-fd,
// lseek, orphans, crash, ...) are refused, at their line, in a case file.
//
// # Adding a case
//
// Write testdata/conformance/NAME (no extension; NAME becomes the subtest's
// name) with its comment, a kernel command and the run blocks, leaving the
// output after each ---- empty; then
//
//	go test ./vfs/vfstest -run TestConformanceFiles -rewrite
//
// fills in the output from tmpfs. Review it against Linux, and run the
// suite on the other filesystems (go test ./vfs/... ./ext4sim ./btrfssim);
// if one of them prints something else, either it has a bug or the
// difference is legitimate and the case must not print it.
package vfstest
