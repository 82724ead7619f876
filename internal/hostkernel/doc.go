// Package hostkernel drives the real Linux kernel through the same
// system-call surface (script.Sys) the simulator offers, so the kernel can
// referee the simulator: a script run through a hostkernel.Task on a freshly
// mounted tmpfs and through a *vfs.Task on the simulated one must print the
// same steps, byte for byte.
//
// Besides tmpfs it mounts copies of ext4 and btrfs images on loop devices
// (made as the oracle makes them), reads their orphans the way the oracle
// does (dumpe2fs and debugfs; btrfs inspect-internal dump-tree), makes
// btrfs subvolumes and snapshots with the raw ioctls, and freezes a mounted
// filesystem to copy its image.
//
// A script's tasks run as worker processes (Session, Proc): re-executions
// of the test binary, the first in a throwaway mount namespace with /
// private, so that unshare, setns, fork, clone(CLONE_NEWNS), bind mounts,
// second mounts of the device under test and remounts never reach the
// test process or the machine (see worker_linux.go for what processes
// cannot model: tasks sharing a descriptor table or fs_struct).
//
// Errors are the kernel's own errnos, converted to vfs.Errno (the numbering
// is Linux's in both). It only works on Linux, and mounting needs root.
// The tests that use it are opt-in: package hosttest skips them unless
// RELINKSIM_HOST_TESTS=1 is set, and otherwise with a message saying why.
//
// It is our own harness, not the shared oracle's code: the oracle (see
// docs/oracle.md) is a tool to run, and recordings of the real kernel's
// output are what the project's tests compare against.
package hostkernel
