package btrfssim

import "github.com/relinksim/relinksim/vfs"

// DefaultDevice is the device name Setup uses, as losetup names the first
// loop device.
const DefaultDevice = "/dev/loop0"

// Setup returns a function that prepares a kernel for mounting a fresh
// btrfssim filesystem (the callback script.NewMachine and
// vfstest.TestFilesystem take): it registers the filesystem type, makes the
// filesystem with opts on a new device called DefaultDevice, and returns
// the device name to mount.
func Setup(opts MkfsOptions) func(k *vfs.Kernel) (string, error) {
	return func(k *vfs.Kernel) (string, error) {
		k.RegisterFilesystem(FilesystemType{})
		k.AddBlockDevice(Mkfs(DefaultDevice, opts))
		return DefaultDevice, nil
	}
}
