package script

import (
	"fmt"

	"github.com/relinksim/relinksim/vfs"
)

// Machine is a booted kernel with one filesystem under test mounted at
// /mnt, and a Runner for the init task on it: the simulator's counterpart
// of the oracle's freshly made filesystem.
type Machine struct {
	K *vfs.Kernel
	*Runner
}

// NewMachine boots a kernel with opts and mounts a fresh filesystem of type
// fs at /mnt. Filesystems other than tmpfs must be registered by the
// callback register, which may also add their block device and return the
// mount source.
func NewMachine(opts vfs.Options, fs string, register func(k *vfs.Kernel) (source string, err error)) (*Machine, error) {
	k := vfs.NewKernel(opts)
	t := k.Init()
	source := "none"
	if register != nil {
		s, err := register(k)
		if err != nil {
			return nil, err
		}
		source = s
	}
	if err := t.Mkdir("/mnt", 0o755); err != nil {
		return nil, err
	}
	if err := t.Mount(source, "/mnt", fs, 0, ""); err != nil {
		return nil, fmt.Errorf("mount %s on /mnt: %w", fs, err)
	}
	return &Machine{K: k, Runner: NewRunner(t, "/mnt")}, nil
}
