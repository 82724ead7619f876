// Package hosttest is the one gate in front of every test that drives the
// real kernel: mounting real tmpfs, ext4 or btrfs, attaching loop devices,
// running mkfs, loading the btrfs module or freezing a filesystem.
//
// Such tests are opt-in. They run only when the environment variable
// RELINKSIM_HOST_TESTS is 1 (CI sets it in .ci/run); otherwise they skip
// and say how to enable them. With the variable set they still skip, with
// the reason, when the machine cannot run them: not Linux, not root, or a
// tool (mkfs.ext4, losetup, ...) or loop devices missing.
//
// It is a test helper: only _test.go files import it.
package hosttest
