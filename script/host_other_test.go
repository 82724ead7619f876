//go:build !linux

package script_test

import (
	"testing"

	"github.com/relinksim/relinksim/script"
)

// recordHost needs the real Linux kernel.
func recordHost(t *testing.T, ops []script.Op, out string) {
	t.Fatal("-record needs Linux: it runs the scenarios on the host kernel")
}

// The kernel-differential tests drive the real Linux kernel; elsewhere they
// exist only to say so.
const needsLinux = "the kernel-differential test compares the simulator with the real Linux kernel; this is not Linux"

func TestKernelDifferential(t *testing.T)      { t.Skip(needsLinux) }
func TestKernelDifferentialExt4(t *testing.T)  { t.Skip(needsLinux) }
func TestKernelDifferentialBtrfs(t *testing.T) { t.Skip(needsLinux) }
