package btrfssim

import (
	"fmt"
	"strconv"

	"github.com/relinksim/relinksim/vfs"
)

// DefaultDevice is the device name Setup uses on a kernel with no block
// device yet, as losetup names the first loop device.
const DefaultDevice = "/dev/loop0"

// Setup returns a function that prepares a kernel for mounting a fresh
// btrfssim filesystem (what script.NewMachine and vfstest.TestFilesystem
// take): it registers the filesystem type unless the kernel has it, makes
// the filesystem with opts on a new device named by k.FreeLoopDevice
// (DefaultDevice on a kernel without devices), and returns the device name
// to mount.
func Setup(opts MkfsOptions) func(k *vfs.Kernel) (string, error) {
	return func(k *vfs.Kernel) (string, error) {
		if opts.Size < 0 {
			return "", fmt.Errorf("mkfs.btrfs: negative size %d", opts.Size)
		}
		if !k.HasFilesystem("btrfs") {
			k.RegisterFilesystem(FilesystemType{})
		}
		name := k.FreeLoopDevice()
		k.AddBlockDevice(Mkfs(name, opts))
		return name, nil
	}
}

// ParseMkfsOptions reads mkfs options as the filesystem registry passes
// them: "size=BYTES".
func ParseMkfsOptions(s string) (MkfsOptions, error) {
	var o MkfsOptions
	m, err := vfs.SplitMkfsOptions("btrfs", s, "size")
	if err != nil {
		return o, err
	}
	if v, ok := m["size"]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return o, fmt.Errorf("mkfs.btrfs: size=%q: want a positive number", v)
		}
		o.Size = n
	}
	return o, nil
}

func init() {
	vfs.RegisterFS(vfs.FSInfo{
		Name: "btrfs",
		Doc:  "fs/btrfs: subvolumes and snapshots, orphan items, transactions and crashes, every era's btrfs_link",
		Setup: func(k *vfs.Kernel, mkfs string) (string, error) {
			o, err := ParseMkfsOptions(mkfs)
			if err != nil {
				return "", err
			}
			return Setup(o)(k)
		},
		MkfsOptions: []string{"size=BYTES: the device's size (recorded only: no space accounting)"},
		BuggyEras:   []vfs.Era{vfs.Relink2011},
		Faults:      []string{"add_entry", "trans_start"},
		Durable:     true,
		OrphanList:  true,
		Subvolumes:  true,
	})
}
