package hosttest

import (
	"os"
	"testing"

	"github.com/relinksim/relinksim/internal/hostkernel"
)

// EnvVar is the environment variable that enables the host tests.
const EnvVar = "RELINKSIM_HOST_TESTS"

// HowToEnable is the message a host test skips with when EnvVar is not set.
const HowToEnable = "drives the real kernel: set " + EnvVar + "=1 (needs Linux and root) to run it"

// Enabled reports whether the host tests were asked for.
func Enabled() bool { return os.Getenv(EnvVar) == "1" }

// Require skips tb unless the host tests are enabled and the real kernel
// can mount a scratch tmpfs here (Linux, root). Call it first in a test
// that touches the real kernel.
func Require(tb testing.TB) {
	tb.Helper()
	if !Enabled() {
		tb.Skip(HowToEnable)
	}
	if why := hostkernel.Available(); why != "" {
		tb.Skip("host test skipped: " + why)
	}
}

// RequireExt4 is Require for a test that also makes and mounts real ext4
// images on loop devices (mkfs.ext4, losetup, dumpe2fs, debugfs).
func RequireExt4(tb testing.TB) {
	tb.Helper()
	Require(tb)
	if why := hostkernel.Ext4Available(); why != "" {
		tb.Skip("ext4 host test skipped: " + why)
	}
}

// RequireBtrfs is Require for a test that also makes and mounts real btrfs
// images on loop devices (mkfs.btrfs, btrfs, losetup, the btrfs module).
func RequireBtrfs(tb testing.TB) {
	tb.Helper()
	Require(tb)
	if why := hostkernel.BtrfsAvailable(); why != "" {
		tb.Skip("btrfs host test skipped: " + why)
	}
}
