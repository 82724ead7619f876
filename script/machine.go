package script

import (
	"fmt"

	"github.com/relinksim/relinksim/vfs"
)

// Machine is a booted kernel with one filesystem under test mounted at
// /mnt, and a Runner for the init task on it: the simulator's counterpart
// of the oracle's freshly made filesystem. It can crash and reboot, keeping
// what the filesystem's device holds durably.
type Machine struct {
	K *vfs.Kernel
	*Runner

	opts     vfs.Options
	fsName   string
	mntOpts  string
	setup    func(k *vfs.Kernel) (source string, err error)
	sb       *vfs.Superblock
	dmesgPos int
}

// NewMachine boots a kernel with opts and mounts a fresh filesystem of type
// fs at /mnt. Filesystems other than tmpfs must be registered by setup,
// which may also add their block device and returns the mount source.
func NewMachine(opts vfs.Options, fs string, setup func(k *vfs.Kernel) (source string, err error)) (*Machine, error) {
	return NewMachineWithOptions(opts, fs, "", setup)
}

// NewMachineWithOptions is NewMachine with filesystem mount options.
func NewMachineWithOptions(opts vfs.Options, fs, mntOpts string, setup func(k *vfs.Kernel) (source string, err error)) (*Machine, error) {
	k := vfs.NewKernel(opts)
	source := "none"
	if setup != nil {
		s, err := setup(k)
		if err != nil {
			return nil, err
		}
		source = s
	}
	m := &Machine{K: k, opts: opts, fsName: fs, mntOpts: mntOpts, setup: setup}
	if err := m.mount(k, source); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Machine) mount(k *vfs.Kernel, source string) error {
	t := k.Init()
	if err := t.Mkdir("/mnt", 0o755); err != nil && vfs.ErrnoOf(err) != vfs.EEXIST {
		return err
	}
	if err := t.Mount(source, "/mnt", m.fsName, 0, m.mntOpts); err != nil {
		return fmt.Errorf("mount %s on /mnt: %w", m.fsName, err)
	}
	m.K = k
	m.Runner = NewRunner(t, "/mnt")
	m.sb = mountedAt(t, "/mnt")
	return nil
}

// mountedAt returns the superblock of the filesystem mounted at path.
func mountedAt(t *vfs.Task, path string) *vfs.Superblock {
	sb, err := t.SuperblockOf(path)
	if err != nil {
		return nil
	}
	return sb
}

// Superblock returns the superblock of the filesystem under test.
func (m *Machine) Superblock() *vfs.Superblock { return m.sb }

// Dmesg returns the kernel log lines written since the last call (or since
// the machine last booted or remounted).
func (m *Machine) Dmesg() []string {
	all := m.K.Dmesg()
	out := all[m.dmesgPos:]
	m.dmesgPos = len(all)
	return out
}

// Crash models a power cut: the kernel is abandoned without unmounting
// (its in-memory state is simply lost), a new kernel of the same era boots,
// and the filesystem's device — as a crash leaves it — is mounted at /mnt
// again, which runs recovery. It returns the kernel log of that mount.
// Every descriptor name is forgotten. A filesystem without a device that
// survives a crash (tmpfs) comes back empty.
func (m *Machine) Crash() ([]string, error) {
	sb := m.Superblock()
	k := vfs.NewKernel(m.opts)
	source := "none"
	if sb != nil && sb.Device() != nil {
		c, ok := sb.Device().(vfs.Crasher)
		if !ok {
			return nil, fmt.Errorf("device %s of %s does not model crashes", sb.Source(), m.fsName)
		}
		dev := c.CrashImage()
		if t := sb.Type(); t.Name() != "tmpfs" {
			k.RegisterFilesystem(t)
		}
		k.AddBlockDevice(dev)
		source = dev.Name()
	}
	m.dmesgPos = 0
	if err := m.mount(k, source); err != nil {
		return m.Dmesg(), err
	}
	return m.Dmesg(), nil
}

// Remount closes every descriptor the runner holds, unmounts the
// filesystem cleanly and mounts it again. It returns the kernel log lines
// of the unmount and the mount.
func (m *Machine) Remount() ([]string, error) {
	t := m.Runner.T.(*vfs.Task)
	for _, name := range m.FDNames() {
		fd, _ := m.FD(name)
		t.Close(fd)
	}
	sb := m.Superblock()
	source := "none"
	if sb != nil {
		source = sb.Source()
	}
	m.Dmesg()
	if err := t.Umount("/mnt", 0); err != nil {
		return m.Dmesg(), err
	}
	if err := t.Mount(source, "/mnt", m.fsName, 0, m.mntOpts); err != nil {
		return m.Dmesg(), err
	}
	m.Runner = NewRunner(t, "/mnt")
	m.sb = mountedAt(t, "/mnt")
	return m.Dmesg(), nil
}

// Check returns the kernel's and the filesystem's invariant violations.
func (m *Machine) Check() []vfs.Violation { return m.K.CheckInvariants() }

// Step runs one op; the machine-level ops (crash, remount, check, dmesg,
// fault) are handled here, the rest by the Runner.
func (m *Machine) Step(op Op) Step {
	src := op.Src
	if src == "" {
		src = op.String()
	}
	st := Step{Line: op.Line, Op: src}
	switch op.Name {
	case "crash", "remount":
		var lines []string
		var err error
		if op.Name == "crash" {
			lines, err = m.Crash()
		} else {
			lines, err = m.Remount()
		}
		if lines == nil {
			lines = []string{}
		}
		st.Ret = lines
		if err != nil {
			st.Errno = vfs.ErrnoName(err)
		}
	case "dmesg":
		lines := m.Dmesg()
		if lines == nil {
			lines = []string{}
		}
		st.Ret = lines
	case "check":
		out := []string{}
		for _, v := range m.Check() {
			out = append(out, v.String())
		}
		st.Ret = out
	case "fault":
		sb := m.Superblock()
		fi, ok := sb.Ops.(vfs.FaultInjector)
		if !ok {
			st.Errno = "EOPNOTSUPP"
			break
		}
		if err := fi.InjectFault(op.Text, int(op.N)); err != nil {
			st.Errno = vfs.ErrnoName(err)
		}
	default:
		return m.Runner.Step(op)
	}
	return st
}

// Run runs every op with Step.
func (m *Machine) Run(ops []Op) []Step {
	out := make([]Step, 0, len(ops))
	for _, op := range ops {
		out = append(out, m.Step(op))
	}
	return out
}
