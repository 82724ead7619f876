package ext4sim

import (
	"fmt"
	"strconv"

	"github.com/relinksim/relinksim/vfs"
)

// DefaultDevice is the device name Setup uses on a kernel with no block
// device yet, as losetup names the first loop device.
const DefaultDevice = "/dev/loop0"

// Setup returns a function that prepares a kernel for mounting a fresh
// ext4sim filesystem (what script.NewMachine and vfstest.TestFilesystem
// take): it registers the filesystem type unless the kernel has it, makes
// the filesystem with opts on a new device named by k.FreeLoopDevice
// (DefaultDevice on a kernel without devices), and returns the device name
// to mount. Bad options are an error, not a panic.
func Setup(opts MkfsOptions) func(k *vfs.Kernel) (string, error) {
	return func(k *vfs.Kernel) (string, error) {
		if err := opts.Validate(); err != nil {
			return "", err
		}
		if !k.HasFilesystem("ext4") {
			k.RegisterFilesystem(FilesystemType{})
		}
		name := k.FreeLoopDevice()
		k.AddBlockDevice(Mkfs(name, opts))
		return name, nil
	}
}

// Validate reports options Mkfs cannot lay out.
func (o MkfsOptions) Validate() error {
	if _, _, err := o.layout(); err != nil {
		return fmt.Errorf("mkfs.ext4: %w", err)
	}
	return nil
}

// mkfsOptionNames are the options ParseMkfsOptions accepts.
var mkfsOptionNames = []string{"orphan_file", "blocksize", "size", "inode_ratio", "hash_seed"}

// ParseMkfsOptions reads mkfs options as the filesystem registry passes
// them: "orphan_file" (mkfs.ext4 -O orphan_file), "blocksize=N" (-b),
// "size=BYTES", "inode_ratio=N" (-i), "hash_seed=UUID" (-E hash_seed=),
// comma-separated.
func ParseMkfsOptions(s string) (MkfsOptions, error) {
	var o MkfsOptions
	m, err := vfs.SplitMkfsOptions("ext4", s, mkfsOptionNames...)
	if err != nil {
		return o, err
	}
	num := func(name string) (int64, error) {
		v, ok := m[name]
		if !ok {
			return 0, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("mkfs.ext4: %s=%q: want a positive number", name, v)
		}
		return n, nil
	}
	if v, ok := m["hash_seed"]; ok {
		seed, ok := ParseHashSeed(v)
		if !ok {
			return o, fmt.Errorf("mkfs.ext4: hash_seed=%q: want a UUID", v)
		}
		o.HashSeed = seed
	}
	if v, ok := m["orphan_file"]; ok {
		if v != "" {
			return o, fmt.Errorf("mkfs.ext4: orphan_file takes no value")
		}
		o.OrphanFile = true
	}
	bs, err := num("blocksize")
	if err != nil {
		return o, err
	}
	o.BlockSize = int(bs)
	if o.Size, err = num("size"); err != nil {
		return o, err
	}
	if o.InodeRatio, err = num("inode_ratio"); err != nil {
		return o, err
	}
	return o, o.Validate()
}

func init() {
	vfs.RegisterFS(vfs.FSInfo{
		Name: "ext4",
		Doc:  "fs/ext4: mkfs.ext4's layout, the orphan list on disk and orphan_file, a journal with crash and recovery, every era's ext4_link",
		Setup: func(k *vfs.Kernel, mkfs string) (string, error) {
			o, err := ParseMkfsOptions(mkfs)
			if err != nil {
				return "", err
			}
			return Setup(o)(k)
		},
		MkfsOptions: []string{
			"orphan_file: the orphan_file feature (mkfs.ext4 -O orphan_file)",
			"blocksize=N: 1024 (default), 2048 or 4096",
			"size=BYTES: the device's size (default 128 MiB)",
			"inode_ratio=N: bytes per inode (default 4096)",
			"hash_seed=UUID: the directory hash seed (mkfs.ext4 -E hash_seed=; default " + DefaultHashSeedUUID + ")",
		},
		MountOptions: []string{"sim_commit=handle: commit the journal after every handle", "sim_cpu=N: the CPU the task runs on (orphan_file slot choice)"},
		BuggyEras:    []vfs.Era{vfs.Pre2007, vfs.SandeenRFC},
		Faults:       []string{"add_entry", "journal_start"},
		Durable:      true,
		OrphanList:   true,
	})
}
