package script

import (
	"fmt"
	"path"

	"github.com/relinksim/relinksim/vfs"
)

// Config says how to boot a Machine.
type Config struct {
	// Options are the kernel's (era, protected_hardlinks).
	Options vfs.Options
	// FS names the filesystem under test, as registered with
	// vfs.RegisterFS (import its package); "" is tmpfs.
	FS string
	// Mkfs are mkfs options for FS's Setup ("orphan_file,blocksize=4096").
	Mkfs string
	// MountOptions are passed to mount(2).
	MountOptions string
	// Setup, when set, replaces the registry's Setup (and Mkfs): it
	// prepares the kernel and returns the mount source.
	Setup func(k *vfs.Kernel) (source string, err error)
}

// Machine is a booted kernel with one filesystem under test mounted at
// /mnt, and a Runner for the init task on it: the simulator's counterpart
// of the oracle's freshly made filesystem. It can crash and reboot, keeping
// what the filesystem's device holds durably, and it runs the
// machine-level ops (crash, remount, check, dmesg, fault, mount-new).
type Machine struct {
	K *vfs.Kernel
	*Runner

	ext      map[any]any
	cfg      Config
	info     vfs.FSInfo
	task     *vfs.Task
	sb       *vfs.Superblock
	dmesgPos int
	// boots counts the kernels booted after the first (crash, MoveTo):
	// each gets another random seed (nextKernel).
	boots uint64
}

// nextKernel boots the machine's next kernel: the same options, another
// random seed, so that what Linux draws at random differs from boot to
// boot (and machine to machine) as it would.
func (m *Machine) nextKernel() *vfs.Kernel {
	m.boots++
	opts := m.cfg.Options
	opts.RandomSeed += m.boots
	return newKernel(opts)
}

// Boot boots a kernel and mounts a fresh filesystem as cfg says at /mnt.
func Boot(cfg Config) (*Machine, error) {
	if cfg.FS == "" {
		cfg.FS = "tmpfs"
	}
	info, err := vfs.LookupFS(cfg.FS)
	if err != nil {
		if cfg.Setup == nil {
			return nil, err
		}
		info = vfs.FSInfo{Name: cfg.FS} // a type only cfg.Setup knows
	}
	k := newKernel(cfg.Options)
	setup := cfg.Setup
	if setup == nil {
		setup = func(k *vfs.Kernel) (string, error) { return info.Setup(k, cfg.Mkfs) }
	}
	source, err := setup(k)
	if err != nil {
		return nil, err
	}
	m := &Machine{cfg: cfg, info: info}
	if err := m.mount(k, source); err != nil {
		return nil, err
	}
	return m, nil
}

var bootHooks []func(k *vfs.Kernel)

// OnBoot registers fn to run on every kernel a Machine boots (at Boot and
// after a crash), before anything is mounted: a package above script that
// keeps kernel state of its own installs it there (package nsproxy
// enables namespace operations). Register from an init function.
func OnBoot(fn func(k *vfs.Kernel)) { bootHooks = append(bootHooks, fn) }

func newKernel(opts vfs.Options) *vfs.Kernel {
	k := vfs.NewKernel(opts)
	for _, fn := range bootHooks {
		fn(k)
	}
	return k
}

// NewMachine boots a kernel with opts and mounts a fresh filesystem of type
// fs at /mnt, made by setup, or by the registry's Setup when setup is nil.
func NewMachine(opts vfs.Options, fs string, setup func(k *vfs.Kernel) (source string, err error)) (*Machine, error) {
	return Boot(Config{Options: opts, FS: fs, Setup: setup})
}

// NewMachineWithOptions is NewMachine with mount options.
func NewMachineWithOptions(opts vfs.Options, fs, mntOpts string, setup func(k *vfs.Kernel) (source string, err error)) (*Machine, error) {
	return Boot(Config{Options: opts, FS: fs, MountOptions: mntOpts, Setup: setup})
}

func (m *Machine) mount(k *vfs.Kernel, source string) error {
	t := k.Init()
	if err := t.Mkdir("/mnt", 0o755); err != nil && vfs.ErrnoOf(err) != vfs.EEXIST {
		return err
	}
	if err := t.Mount(source, "/mnt", m.cfg.FS, 0, m.cfg.MountOptions); err != nil {
		return fmt.Errorf("mount %s on /mnt: %w", m.cfg.FS, err)
	}
	m.K = k
	m.task = t
	m.setRunner(NewRunner(t, "/mnt"))
	m.sb = mountedAt(t, "/mnt")
	return nil
}

func (m *Machine) setRunner(r *Runner) {
	r.m = m
	m.Runner = r
}

// mountedAt returns the superblock of the filesystem mounted at path.
func mountedAt(t *vfs.Task, path string) *vfs.Superblock {
	sb, err := t.SuperblockOf(path)
	if err != nil {
		return nil
	}
	return sb
}

// Init returns the task the machine's runner drives: the kernel's init
// task.
func (m *Machine) Init() *vfs.Task { return m.task }

// Ext returns what a package keeps on the machine under key (nil when
// none): checkpoint images, which outlive the tasks and a crash. SetExt
// sets it.
func (m *Machine) Ext(key any) any { return m.ext[key] }

// SetExt keeps v on the machine under key.
func (m *Machine) SetExt(key, v any) {
	if m.ext == nil {
		m.ext = map[any]any{}
	}
	m.ext[key] = v
}

// SetInit makes t the task the machine's own operations (remount,
// mount-new, crash) run as, after the script's first task was replaced
// (by restart).
func (m *Machine) SetInit(t *vfs.Task) { m.task = t }

// FS returns the registry's description of the filesystem under test.
func (m *Machine) FS() vfs.FSInfo { return m.info }

// FSName returns the filesystem under test's type name.
func (m *Machine) FSName() string { return m.cfg.FS }

// MountOptions returns the options the filesystem under test was mounted
// with.
func (m *Machine) MountOptions() string { return m.cfg.MountOptions }

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

// MountNew makes a fresh filesystem of the registered type fs (with mkfs
// options) on a new device of the same kernel and mounts it, with mount
// options opts, on dir — a path relative to /mnt, made if missing. So
// tmpfs, ext4 and btrfs can live side by side on one kernel, each on its
// own device. A later crash reboots with the filesystem under test alone.
func (m *Machine) MountNew(fs, mkfs, dir, opts string) error {
	info, err := vfs.LookupFS(fs)
	if err != nil {
		return err
	}
	target := m.p(dir)
	if err := m.task.Mkdir(target, 0o755); err != nil && vfs.ErrnoOf(err) != vfs.EEXIST {
		return err
	}
	source, err := info.Setup(m.K, mkfs)
	if err != nil {
		return err
	}
	return m.task.Mount(source, path.Clean(target), fs, 0, opts)
}

// Crash models a power cut: the kernel is abandoned without unmounting
// (its in-memory state is simply lost), a new kernel of the same era boots,
// and the filesystem's device — as a crash leaves it — is mounted at /mnt
// again, which runs recovery. It returns the kernel log of that mount.
// Every descriptor name is forgotten. A filesystem without a device that
// survives a crash (tmpfs) comes back empty.
func (m *Machine) Crash() ([]string, error) {
	sb := m.Superblock()
	k := m.nextKernel()
	source := "none"
	if sb != nil && sb.Device() != nil {
		c, ok := sb.Device().(vfs.Crasher)
		if !ok {
			return nil, fmt.Errorf("device %s of %s does not model crashes", sb.Source(), m.cfg.FS)
		}
		dev := c.CrashImage()
		if t := sb.Type(); !k.HasFilesystem(t.Name()) {
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

// MoveTo models the machine's replacement by another one: the kernel is
// abandoned (as at a power cut, what is not on a device is lost), a new
// kernel of the same era boots, and prepare — run as its init task —
// mounts what the new machine has at /mnt (a device both machines see, a
// snapshot, a filesystem restored from a backup). Every descriptor name
// is forgotten; what packages keep on the machine (Ext) stays. The
// filesystem under test becomes what is mounted at /mnt.
func (m *Machine) MoveTo(prepare func(k *vfs.Kernel, init *vfs.Task) error) error {
	k := m.nextKernel()
	t := k.Init()
	if err := t.Mkdir("/mnt", 0o755); err != nil && vfs.ErrnoOf(err) != vfs.EEXIST {
		return err
	}
	if err := prepare(k, t); err != nil {
		return err
	}
	sb := mountedAt(t, "/mnt")
	if sb == nil || sb.Type().Name() != m.cfg.FS {
		return fmt.Errorf("the new machine has no %s mounted at /mnt: %w", m.cfg.FS, vfs.EINVAL)
	}
	m.K = k
	m.task = t
	m.dmesgPos = 0
	m.setRunner(NewRunner(t, "/mnt"))
	m.sb = sb
	return nil
}

// DeviceImage returns what the filesystem under test's device holds
// durably now (as a power cut would leave it), for another kernel to
// mount, and whether there is such a device (tmpfs has none).
func (m *Machine) DeviceImage() (vfs.BlockDevice, bool) {
	sb := m.Superblock()
	if sb == nil || sb.Device() == nil {
		return nil, false
	}
	c, ok := sb.Device().(vfs.Crasher)
	if !ok {
		return nil, false
	}
	return c.CrashImage(), true
}

// Config returns how the machine was booted.
func (m *Machine) Config() Config { return m.cfg }

// Remount closes every descriptor the runner holds, unmounts the
// filesystem cleanly and mounts it again. It returns the kernel log lines
// of the unmount and the mount.
func (m *Machine) Remount() ([]string, error) {
	t := m.task
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
	if err := t.Mount(source, "/mnt", m.cfg.FS, 0, m.cfg.MountOptions); err != nil {
		return m.Dmesg(), err
	}
	m.setRunner(NewRunner(t, "/mnt"))
	m.sb = mountedAt(t, "/mnt")
	return m.Dmesg(), nil
}

// Check returns the kernel's and the filesystem's invariant violations.
func (m *Machine) Check() []vfs.Violation { return m.K.CheckInvariants() }

// Step runs one op (the Runner's Step, which runs the machine-level ops
// on this machine).
func (m *Machine) Step(op Op) Step { return m.Runner.Step(op) }

// Run runs every op with Step.
func (m *Machine) Run(ops []Op) []Step { return m.Runner.Run(ops) }

// needMachine returns the machine r drives, or an error naming the op.
func needMachine(r *Runner, op Op) (*Machine, error) {
	if r.m == nil {
		return nil, fmt.Errorf("op %s needs a Machine (a booted simulated kernel), not a bare Runner", op.Name)
	}
	return r.m, nil
}

// logLines returns lines, never nil (so that it prints as []).
func logLines(lines []string) []string {
	if lines == nil {
		return []string{}
	}
	return lines
}

func init() {
	for _, s := range []OpSpec{
		{Name: "sync", Group: "kernel", Help: "sync(2)",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				s, err := Need[Syncer](r, op)
				if err != nil {
					return nil, err
				}
				s.Sync()
				return nil, nil
			}},
		{Name: "drop_caches", Group: "kernel", Help: "echo 3 > /proc/sys/vm/drop_caches: unused dentries and inodes are evicted",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				c, err := Need[CacheDropper](r, op)
				if err != nil {
					return nil, err
				}
				c.DropCaches()
				return nil, nil
			}},
		{Name: "orphan-slots", Group: "kernel", Help: "the occupied slots of the orphan file (ext4 orphan_file), as BLOCK:SLOT=NAME",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				or, err := Need[OrphanFileReader](r, op)
				if err != nil {
					return nil, err
				}
				out := []string{}
				slots, err := or.OrphanFileSlots(r.Root)
				if err != nil {
					return nil, err
				}
				for _, s := range slots {
					out = append(out, fmt.Sprintf("%d:%d=%s", s.Block, s.Slot, r.holder(s.Ino)))
				}
				return out, nil
			}},
		{Name: "fault", Group: "kernel", Machine: true, Args: []Arg{ArgWord, ArgN}, Usage: "fault KIND N",
			Help: "make the next N KIND calls of the filesystem under test fail (ext4: add_entry, journal_start; btrfs: add_entry, trans_start); a fault the filesystem cannot inject fails the script",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				fi, err := Need[FaultInjector](r, op)
				if err != nil {
					return nil, err
				}
				if op.N <= 0 {
					return nil, fmt.Errorf("fault %s %d: the count must be positive", op.Text, op.N)
				}
				if err := fi.InjectFault(r.Root, op.Text, int(op.N)); err != nil {
					return nil, fmt.Errorf("the filesystem at %s cannot inject fault %q (%v)", r.Root, op.Text, err)
				}
				return nil, nil
			}},
		{Name: "crash", Group: "kernel", Machine: true, Help: "power cut: reboot and mount the device again; ret: the kernel log of the mount (recovery)",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				m, err := needMachine(r, op)
				if err != nil {
					return nil, err
				}
				lines, err := m.Crash()
				return logLines(lines), err
			}},
		{Name: "remount", Group: "kernel", Machine: true, Help: "close every fd, unmount cleanly, mount again; ret: the kernel log",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				m, err := needMachine(r, op)
				if err != nil {
					return nil, err
				}
				lines, err := m.Remount()
				return logLines(lines), err
			}},
		{Name: "check", Group: "kernel", Machine: true, Help: "the kernel's and the filesystems' invariants; ret: the violations, or []",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				m, err := needMachine(r, op)
				if err != nil {
					return nil, err
				}
				out := []string{}
				for _, v := range m.Check() {
					out = append(out, v.String())
				}
				return out, nil
			}},
		{Name: "dmesg", Group: "kernel", Machine: true, Help: "the kernel log lines since the last dmesg, crash or remount",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				m, err := needMachine(r, op)
				if err != nil {
					return nil, err
				}
				return logLines(m.Dmesg()), nil
			}},
		{Name: "mount-new", Group: "kernel", Machine: true, Args: []Arg{ArgWord, ArgPath}, Usage: "mount-new FS PATH",
			Help: "make a fresh FS (tmpfs, ext4, btrfs, ...) on a free loop device and mount it on PATH (made if missing), beside the filesystem under test",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				m, err := needMachine(r, op)
				if err != nil {
					return nil, err
				}
				if _, err := vfs.LookupFS(op.Text); err != nil {
					return nil, err
				}
				return nil, m.MountNew(op.Text, "", op.Path, "")
			}},
	} {
		Register(s)
	}
}
