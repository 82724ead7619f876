// Package script is relinksim's op language: one textual form for the
// system calls of a scenario, shared by scripts run with `relinksim run`,
// the transcripts in testdata/, the property tests' generators and their
// failure reports. An op prints back in the syntax it parses from
// (Op.String), so a generated or shrunk sequence pastes straight into a
// script or a regression transcript — the habit of pebble's metamorphic
// tests.
//
// # Syntax
//
// One op per line; '#' starts a comment line. Paths are relative to the
// root of the filesystem under test; fd operands are names given by
// "-> NAME". The first group is exactly the kernel oracle's
// (../shared/oracle/kernel/main.go), with the same output:
//
//	open PATH FLAGS[,..] -> FD     rdonly wronly rdwr creat excl trunc tmpfile
//	                               nonblock directory append (every open adds
//	                               O_NONBLOCK so a fifo never blocks)
//	close FD | dup FD -> FD2 | write FD TEXT | pwrite FD OFF TEXT
//	read FD N | pread FD OFF N | ftruncate FD N
//	link OLD NEW | linkat-empty FD NEW | linkat-proc FD NEW
//	unlink PATH | rmdir PATH | mkdir PATH | rename OLD NEW
//	mkfifo PATH | symlink TARGET PATH
//	fstat FD | stat PATH | lstat PATH | cat PATH | tree | orphans
//
// The simulator adds ops the oracle does not know (Names lists them all):
// openat, mkdirat, linkat-proc-nofollow, readlink, readlink-fd, ls, chdir,
// chmod, chattr, rename-noreplace, rename-exchange, bind, remount-ro, umount,
// setuid. Later work adds kernel-level ops (era, crash, checkpoint, ...).
//
// An op naming an fd that is not open answers EBADF without calling the
// kernel, as the oracle does. Parse errors name the line and column.
//
// # Results
//
// Runner.Step returns a Step, which encodes to JSON in the oracle's shape
// (line, op, ret, errno; ret omitted when there is none) and prints for
// transcripts with Step.Describe. tree lists every path but lost+found with
// inodes labelled by first appearance; orphans lists a filesystem's on-disk
// orphan list (OrphanLister), each inode named by the first-opened fd still
// open on it, and has no ret on a filesystem without one (tmpfs).
package script
