package vfs

import (
	"fmt"
	"iter"
	"strings"
)

// Kernel is one simulated kernel instance: its filesystem-type registry and
// block devices, its mount namespaces and tasks, the registry of live
// reference-counted objects (for leak reports), deterministic id counters, a
// logical clock, IO accounting, a kernel log, and the hooks through which
// tracing and a Scheduler (SetScheduler; package race installs one) observe
// it.
//
// There is no analogue of Kernel in Linux: a Linux machine runs one kernel,
// whose state is global. Scoping everything to a Kernel value lets tests run
// in parallel and lets two kernels of different eras run side by side.
//
// A Kernel is not safe for concurrent use. Simulated tasks run one at a time
// on the goroutine that calls into the Kernel; concurrency between simulated
// tasks is modelled, not inherited from Go (see the Lock order section of the
// package documentation).
type Kernel struct {
	opts Options

	fsTypes map[string]FilesystemType
	devices map[string]BlockDevice
	devNums map[BlockDevice]uint32
	// nextAnonDev is the last anonymous device number handed out.
	nextAnonDev uint32
	// supers lists superblocks in creation order; sget walks it.
	supers []*Superblock

	// live is the registry of reference-counted objects: a list through
	// their headers, in creation (and so id) order. A list, not a map, so
	// that registering and freeing an object costs two pointer writes and
	// no allocation on every create and unlink.
	live   kobj
	nLive  int
	nextID uint64

	nextTID   int
	tasks     []*Task // live tasks in creation order
	init      *Task
	current   *Task
	mountHash map[mountpoint]*Mount
	nextMntID int

	clock int64 // logical nanoseconds; see Now
	stats IOStats
	dmesg []string

	tracer    func(Event)
	traceSeq  uint64
	scheduler Scheduler

	// nextInum counts the namespace inode numbers handed out.
	nextInum uint64
	// nsops are the namespace operations (package nsproxy), or nil.
	nsops NamespaceOps
	// checkers are invariant checks registered by packages above vfs.
	checkers []checkerEntry
	// ext holds packages' values (Ext, SetExt).
	ext map[any]any
	// rng is GetRandomU32's state.
	rng uint64
}

// GetRandomU32 models drivers/char/random.c:get_random_u32 with a
// deterministic generator (SplitMix64) seeded by Options.RandomSeed:
// numbers that look random, the same in every run of the same kernel.
func (k *Kernel) GetRandomU32() uint32 {
	k.rng += 0x9e3779b97f4a7c15
	z := k.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return uint32((z ^ (z >> 31)) >> 32)
}

// Options configures a Kernel.
type Options struct {
	// Era selects the kernel's link rules. The zero value is Upstream.
	Era Era

	// ProtectedHardlinks models the fs.protected_hardlinks sysctl (Upstream
	// era only). Most distributions boot with it set to 1; a Kernel built
	// from the zero Options has it off, so set it when a test needs it.
	ProtectedHardlinks bool

	// RootFS names the filesystem type mounted at "/" at boot. The default
	// is "tmpfs", as an initramfs boot leaves rootfs.
	RootFS string

	// NoProc skips mounting procfs at /proc during boot.
	NoProc bool

	// RandomSeed seeds the kernel's random numbers (GetRandomU32): the
	// same seed gives the same numbers, so runs replay. A machine that
	// boots another kernel (a reboot, a new machine) gives it another
	// seed, so that what Linux draws at random — inode generations, for
	// one — differs between them as it would.
	RandomSeed uint64

	// MountMax models the fs.mount-max sysctl: the most mounts one mount
	// namespace may hold; a mount or bind mount that would pass it fails
	// with ENOSPC. Zero is Linux's default, DefaultMountMax.
	MountMax int
}

// DefaultMountMax is fs.mount-max's default (fs/namespace.c:
// sysctl_mount_max).
const DefaultMountMax = 100_000

// mountpoint keys the mount hash: what is mounted on dentry D as seen
// through vfsmount M (models fs/namespace.c:mount_hashtable).
type mountpoint struct {
	mnt *Mount
	d   *Dentry
}

// IOStats counts the work the kernel did. Data counters are bytes moved
// through file contents; MetadataOps counts namespace and inode changes
// (create, link, unlink, rename, mkdir, rmdir, setattr, ...). Kernel.Stats
// returns it; it is kept for cost tables (the cover letter's "IO
// proportional to the aggregate size" argument), which nothing in the
// repository prints yet.
type IOStats struct {
	Syscalls         uint64
	MetadataOps      uint64
	DataBytesRead    uint64
	DataBytesWritten uint64
	DataBytesCopied  uint64
	// MountSteps counts the steps path walks took from one mount to
	// another: a lookup of the mount on a dentry (lookup_mnt), or a
	// climb from a mount's root to its mountpoint (".."). Linux's walk
	// takes one per mount of a stack it crosses, the simulator's one
	// per stack (mountstack.go).
	MountSteps uint64
}

// Event is one trace record. Func is the kernel function that emitted it
// (for example "fs/namei.c:vfs_link").
type Event struct {
	Seq  uint64
	Time int64
	Task int
	Func string
	Msg  string
}

func (e Event) String() string {
	return fmt.Sprintf("#%d t%d %s: %s", e.Seq, e.Task, e.Func, e.Msg)
}

// NewKernel boots a kernel: it registers the built-in filesystems (tmpfs and
// proc), mounts the root filesystem at "/" in a new initial mount namespace,
// creates the init task (pid 1, root credentials, umask 022), and mounts
// procfs at /proc unless Options.NoProc is set.
//
// Filesystems other than the built-in ones register with
// RegisterFilesystem and are mounted by tasks with Task.Mount.
func NewKernel(opts Options) *Kernel {
	k := &Kernel{
		opts:    opts,
		fsTypes: map[string]FilesystemType{},
		devices: map[string]BlockDevice{},
		devNums: map[BlockDevice]uint32{},
		// anonymous minors start after the few a booted system already uses
		nextAnonDev: 20,
		mountHash:   map[mountpoint]*Mount{},
		nextTID:     1,
		clock:       1_700_000_000 * 1e9,
		rng:         opts.RandomSeed,
	}
	k.live.next, k.live.prev = &k.live, &k.live // the registry, empty
	k.RegisterFilesystem(TmpfsType{})
	k.RegisterFilesystem(procType{})
	rootFS := opts.RootFS
	if rootFS == "" {
		rootFS = "tmpfs"
	}
	ns, err := k.initMountTree(rootFS)
	if err != nil {
		Bug("boot: mounting the root filesystem %q: %v", rootFS, err)
	}
	k.init = k.newTask(RootCred(), ns)
	PutMntNS(ns) // the init task holds it now
	if !opts.NoProc {
		k.current = k.init
		if k.init.Mkdir("/proc", 0o555) != nil {
			Bug("boot: mkdir /proc")
		}
		if k.init.Mount("proc", "/proc", "proc", 0, "") != nil {
			Bug("boot: mount proc")
		}
	}
	k.current = nil
	return k
}

// Era returns the kernel era the Kernel was built with.
func (k *Kernel) Era() Era { return k.opts.Era }

// Init returns the init task (pid 1).
func (k *Kernel) Init() *Task { return k.init }

// Current returns the task on whose behalf the kernel is running, the
// analogue of Linux's current. It is nil outside system calls.
func (k *Kernel) Current() *Task { return k.current }

// RegisterFilesystem makes a filesystem type mountable (models
// fs/filesystems.c:register_filesystem). Registering a name twice panics.
func (k *Kernel) RegisterFilesystem(t FilesystemType) {
	name := t.Name()
	_, dup := k.fsTypes[name]
	if dup {
		Bug("register_filesystem: %q registered twice", name)
	}
	k.fsTypes[name] = t
}

// AddBlockDevice makes dev available as a mount source under dev.Name()
// (for filesystem types with RequiresDevice). Adding a name twice panics.
func (k *Kernel) AddBlockDevice(dev BlockDevice) {
	_, dup := k.devices[dev.Name()]
	if dup {
		Bug("block device %q added twice", dev.Name())
	}
	k.devices[dev.Name()] = dev
	k.devNums[dev] = 7<<8 | uint32(len(k.devNums))
}

// BlockDevice is a simulated block device. Filesystems that need one (ext4sim,
// btrfssim) define their own device type; the VFS only needs its name and
// whether it is read-only.
type BlockDevice interface {
	Name() string
	ReadOnly() bool
}

// Now returns the logical clock in nanoseconds. It starts at a fixed instant
// and advances by one millisecond at every metadata change, so timestamps are
// ordered and reproducible. It models fs/inode.c:current_time; nothing in the
// simulator reads the host clock.
func (k *Kernel) Now() int64 { return k.clock }

// tick marks the start of one metadata operation (vfs_link, vfs_unlink,
// vfs_create, notify_change, ...): it advances the logical clock, so the
// operation's timestamps are new, and counts it.
func (k *Kernel) tick() int64 {
	k.clock += 1e6
	k.stats.MetadataOps++
	return k.clock
}

// Stats returns the IO accounting counters.
func (k *Kernel) Stats() IOStats { return k.stats }

// AccountCopy records n bytes copied between files by a kernel-side copy
// (copy_file_range, or a checkpoint strategy that copies contents).
func (k *Kernel) AccountCopy(n int64) { k.stats.DataBytesCopied += uint64(n) }

// Printk appends a line to the kernel log, as the kernel's printk does.
func (k *Kernel) Printk(format string, args ...any) {
	k.dmesg = append(k.dmesg, fmt.Sprintf(format, args...))
}

// Dmesg returns the kernel log lines written so far.
func (k *Kernel) Dmesg() []string { return append([]string(nil), k.dmesg...) }

// SetTracer installs fn to receive trace events (nil removes it). With no
// tracer installed, tracing costs one nil check per event site.
func (k *Kernel) SetTracer(fn func(Event)) { k.tracer = fn }

// Tracing reports whether a tracer is installed. Callers whose trace
// arguments cost something to compute test it first.
func (k *Kernel) Tracing() bool { return k.tracer != nil }

// Tracef emits a trace event from kernel function fn ("fs/namei.c:vfs_link").
// Filesystems use it to narrate their own steps.
func (k *Kernel) Tracef(fn, format string, args ...any) {
	if k.tracer == nil {
		return
	}
	k.traceSeq++
	tid := 0
	if k.current != nil {
		tid = k.current.tid
	}
	k.tracer(Event{Seq: k.traceSeq, Time: k.clock, Task: tid, Func: fn, Msg: fmt.Sprintf(format, args...)})
}

// object is a reference-counted kernel object known to the live registry.
type object interface {
	objID() uint64
	kind() string
	describe() string
	refCount() int64
}

// kobj is the header every registered object embeds: its registry id and its
// reference count.
type kobj struct {
	id   uint64
	refs int64
	// self, prev and next link the object into the kernel's registry
	// (Kernel.live); prev is nil once it is freed.
	self       object
	prev, next *kobj
}

func (o *kobj) objID() uint64 { return o.id }

// ObjectID returns the object's id in the kernel's registry: unique among
// the kernel's objects, never reused, and the same in every run of the same
// script (pictures name objects by it, so an object keeps its name from
// step to step).
func (o *kobj) ObjectID() uint64 { return o.id }
func (o *kobj) refCount() int64  { return o.refs }

func (k *Kernel) register(o object, h *kobj) {
	k.nextID++
	h.id = k.nextID
	h.self = o
	h.prev, h.next = k.live.prev, &k.live
	k.live.prev.next = h
	k.live.prev = h
	k.nLive++
}

func (k *Kernel) unregister(h *kobj) {
	if h.prev == nil {
		Bug("freeing object %d twice", h.id)
	}
	h.prev.next, h.next.prev = h.next, h.prev
	h.prev, h.next = nil, nil
	k.nLive--
}

// registered reports whether o has not been freed.
func (h *kobj) registered() bool { return h.prev != nil }

// liveObjects yields the registry in creation order (ascending ids). The
// loop's body must not free objects: collect them first.
func (k *Kernel) liveObjects() iter.Seq[object] {
	return func(yield func(object) bool) {
		for h := k.live.next; h != &k.live; h = h.next {
			if !yield(h.self) {
				return
			}
		}
	}
}

// LeakedObject describes one object left alive after everything that should
// own it was released.
type LeakedObject struct {
	ID   uint64
	Kind string // "file", "dentry", "inode", "mount", "superblock", "mnt_namespace"
	Desc string
	Refs int64
}

func (l LeakedObject) String() string {
	return fmt.Sprintf("%s#%d %s (refcount %d)", l.Kind, l.ID, l.Desc, l.Refs)
}

// LeakError is returned by Shutdown when objects outlive their owners.
type LeakError struct {
	Objects []LeakedObject
}

func (e *LeakError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d leaked kernel objects:", len(e.Objects))
	for _, o := range e.Objects {
		b.WriteString("\n\t")
		b.WriteString(o.String())
	}
	return b.String()
}

// LiveObjects lists every registered object in creation order.
func (k *Kernel) LiveObjects() []LeakedObject {
	out := make([]LeakedObject, 0, k.nLive)
	for o := range k.liveObjects() {
		out = append(out, LeakedObject{ID: o.objID(), Kind: o.kind(), Desc: o.describe(), Refs: o.refCount()})
	}
	return out
}

// Shutdown tears the kernel down the way a clean poweroff would: every task
// exits (closing its files and dropping its root, cwd and mount namespace),
// which unmounts every mount tree no task uses, which kills every superblock.
// Afterwards no object may remain; any that does is a leak — a reference
// somebody took and never dropped — and is reported in a *LeakError, each
// object named. Tests end with it (see CheckNoLeaks in the test helpers).
//
// The Kernel is unusable after Shutdown.
func (k *Kernel) Shutdown() error {
	for len(k.tasks) > 0 {
		k.tasks[len(k.tasks)-1].Exit()
	}
	k.current = nil
	if k.nLive == 0 {
		return nil
	}
	return &LeakError{Objects: k.LiveObjects()}
}
