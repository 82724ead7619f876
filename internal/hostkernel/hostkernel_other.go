//go:build !linux

package hostkernel

const needsLinux = "needs Linux: the kernel-differential tests drive the host kernel"

// Available reports why the real kernel cannot be used here.
func Available() string { return needsLinux }

// Ext4Available reports why real ext4 cannot be used here.
func Ext4Available() string { return needsLinux }

// BtrfsAvailable reports why real btrfs cannot be used here.
func BtrfsAvailable() string { return needsLinux }

// MaybeWorker does nothing: there are no real-kernel workers here.
func MaybeWorker() {}
