package vfs

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// FSInfo describes a filesystem type to the tools built above vfs — the op
// language's machines, the race explorer, transcripts, the conformance
// suite and the command line — so that each of them can make any
// registered filesystem by name without importing its package.
//
// There is no single kernel counterpart: the closest are struct
// file_system_type (what mount(2) finds by name) together with the mkfs
// tool of the filesystem's userspace package. The kernel's own per-boot
// registry is Kernel.RegisterFilesystem; this one is process-wide, like
// image.RegisterFormat, and filled by the filesystem packages' init
// functions (import a filesystem package to make it available; tmpfs is
// always there).
type FSInfo struct {
	// Name is the type's name as mount(2) and the command line take it:
	// "tmpfs", "ext4", "btrfs".
	Name string
	// Doc says in one line what the simulator models of it.
	Doc string
	// Setup prepares kernel k for mounting a fresh filesystem of this
	// type: it registers the type on k if it is not yet, makes the
	// filesystem on a new block device (named by Kernel.FreeLoopDevice, so
	// several filesystems can live on one kernel) and returns the mount
	// source. mkfs holds comma-separated mkfs options, each one of
	// MkfsOptions, with "=value" where it takes one. Setup never panics on
	// bad options: it returns an error naming the option.
	Setup func(k *Kernel, mkfs string) (source string, err error)
	// MkfsOptions lists the options Setup accepts, as "name" or
	// "name=VALUE", with a word on each after a colon.
	MkfsOptions []string
	// MountOptions lists the filesystem-specific mount options its
	// superblock accepts.
	MountOptions []string
	// BuggyEras are the eras whose link rules on this filesystem break its
	// invariants on purpose (the bugs the eras exist to show).
	BuggyEras []Era
	// Faults are the kinds of failure the fault op can inject
	// (FaultInjector); empty when it can inject none.
	Faults []string
	// Durable reports whether its device survives a crash (Crasher): a
	// filesystem without one comes back empty.
	Durable bool
	// OrphanList reports an on-disk orphan list (OrphanLister).
	OrphanList bool
	// Subvolumes reports subvolumes and snapshots (Subvolumer).
	Subvolumes bool
}

// BuggyIn reports whether era's link rules break this filesystem's
// invariants on purpose.
func (fi FSInfo) BuggyIn(era Era) bool { return slices.Contains(fi.BuggyEras, era) }

// CanInject reports whether the filesystem can inject faults of kind.
func (fi FSInfo) CanInject(kind string) bool { return slices.Contains(fi.Faults, kind) }

var fsRegistry = struct {
	sync.Mutex
	m map[string]FSInfo
}{m: map[string]FSInfo{}}

// RegisterFS adds a filesystem to the registry. Filesystem packages call
// it from init. Registering a name twice, or an FSInfo without a name or a
// Setup, is a programming error and panics.
func RegisterFS(fi FSInfo) {
	if fi.Name == "" || fi.Setup == nil {
		Bug("RegisterFS: %q needs a name and a Setup", fi.Name)
	}
	fsRegistry.Lock()
	defer fsRegistry.Unlock()
	if _, dup := fsRegistry.m[fi.Name]; dup {
		Bug("RegisterFS: %q registered twice", fi.Name)
	}
	fsRegistry.m[fi.Name] = fi
}

// LookupFS returns the registered filesystem called name, or an error
// listing the registered ones.
func LookupFS(name string) (FSInfo, error) {
	fsRegistry.Lock()
	fi, ok := fsRegistry.m[name]
	fsRegistry.Unlock()
	if !ok {
		return FSInfo{}, fmt.Errorf("unknown filesystem %q (registered: %s; a filesystem registers itself when its package is imported)", name, strings.Join(FSNames(), ", "))
	}
	return fi, nil
}

// FSNames returns the registered filesystems' names, sorted.
func FSNames() []string {
	fsRegistry.Lock()
	defer fsRegistry.Unlock()
	out := make([]string, 0, len(fsRegistry.m))
	for n := range fsRegistry.m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// SplitMkfsOptions splits comma-separated mkfs options into names and
// values ("orphan_file,blocksize=4096"), checking each name against
// known. Setup functions use it so that every filesystem reports a bad
// option the same way.
func SplitMkfsOptions(fs, opts string, known ...string) (map[string]string, error) {
	out := map[string]string{}
	if opts == "" {
		return out, nil
	}
	for _, o := range strings.Split(opts, ",") {
		name, val, _ := strings.Cut(o, "=")
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("mkfs.%s: unknown option %q (want one of %s)", fs, name, strings.Join(known, ", "))
		}
		out[name] = val
	}
	return out, nil
}

func init() {
	RegisterFS(FSInfo{
		Name:         "tmpfs",
		Doc:          "mm/shmem.c: memory-backed, no device, no orphan list; gone after a crash",
		Setup:        func(k *Kernel, mkfs string) (string, error) { return tmpfsSetup(mkfs) },
		MountOptions: []string{"mode=OCTAL", "uid=N", "gid=N", "nr_inodes=N"},
	})
}

func tmpfsSetup(mkfs string) (string, error) {
	if mkfs != "" {
		return "", fmt.Errorf("tmpfs has no mkfs options (got %q)", mkfs)
	}
	return "none", nil
}

// FreeLoopDevice returns the name of the first loop device no block device
// has taken yet ("/dev/loop0", "/dev/loop1", ...), as losetup -f finds it.
func (k *Kernel) FreeLoopDevice() string {
	for i := 0; ; i++ {
		name := fmt.Sprintf("/dev/loop%d", i)
		if _, taken := k.devices[name]; !taken {
			return name
		}
	}
}

// HasFilesystem reports whether a filesystem type called name is
// registered with k (see RegisterFilesystem).
func (k *Kernel) HasFilesystem(name string) bool {
	_, ok := k.fsTypes[name]
	return ok
}
