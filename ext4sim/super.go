package ext4sim

import (
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// FilesystemType is ext4 for the simulator's VFS ("ext4"). Register it with
// vfs.Kernel.RegisterFilesystem, add a Device made by Mkfs with
// vfs.Kernel.AddBlockDevice, and mount the device by name.
//
// Mount options:
//
//	sim_commit=handle   commit the journal at every handle stop, so a crash
//	                    can fall between any two handles (default: commit on
//	                    sync, unmount, or a full transaction)
//	sim_cpu=N           the CPU number the orphan file's slot search starts
//	                    from (raw_smp_processor_id(); default 1): 0 to
//	                    MaxCPUs-1, as a CPU number is below nr_cpu_ids
//
// An unknown option fails with EINVAL, as ext4's "Unrecognized mount
// option" does.
type FilesystemType struct{}

// Name implements vfs.FilesystemType.
func (FilesystemType) Name() string { return "ext4" }

// RequiresDevice implements vfs.FilesystemType.
func (FilesystemType) RequiresDevice() bool { return true }

// MaxCPUs is the number of CPUs a kernel can have at most
// (CONFIG_NR_CPUS's largest value on x86-64, 8192): sim_cpu names one
// below it.
const MaxCPUs = 8192

// mountOptions are the parsed options.
type mountOptions struct {
	commitEveryHandle bool
	cpu               int
	raw               []string
}

func parseOptions(data string) (mountOptions, error) {
	o := mountOptions{cpu: 1}
	for _, opt := range strings.Split(data, ",") {
		if opt == "" {
			continue
		}
		key, val, _ := strings.Cut(opt, "=")
		switch key {
		case "sim_commit":
			if val != "handle" {
				return o, vfs.EINVAL
			}
			o.commitEveryHandle = true
		case "sim_cpu":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n >= MaxCPUs {
				return o, vfs.EINVAL
			}
			o.cpu = n
		default:
			return o, vfs.EINVAL
		}
		o.raw = append(o.raw, opt)
	}
	return o, nil
}

// CheckOptions implements vfs.OptionChecker (models ext4_parse_param run by
// the fs_context API before get_tree): a second mount of a mounted device
// ignores its options but still fails on one ext4 does not know.
func (FilesystemType) CheckOptions(k *vfs.Kernel, data string) error {
	_, err := parseOptions(data)
	return err
}

// Remount implements vfs.Remounter (models the option parsing of
// fs/ext4/super.c:ext4_reconfigure): an unknown option is EINVAL; the
// simulator's own options are accepted and keep their first values.
func (fs *fsInfo) Remount(sb *vfs.Superblock, flags vfs.MountFlags, data string) error {
	_, err := parseOptions(data)
	return err
}

// Faults injects failures into a mounted filesystem (Mounted.Faults, or
// the fault op through vfs.FaultInjector).
type Faults struct {
	// AddEntryENOSPC makes the next n calls of ext4_add_entry fail with
	// ENOSPC before they change anything (a full directory block that
	// cannot grow).
	AddEntryENOSPC int
	// JournalStartENOSPC makes the next n handle starts fail with ENOSPC.
	JournalStartENOSPC int
}

// fsInfo is struct ext4_sb_info: the mounted filesystem.
type fsInfo struct {
	sb      *vfs.Superblock
	k       *vfs.Kernel
	dev     *Device
	cur     *image
	j       journal
	opts    mountOptions
	icache  map[uint32]*vfs.Inode
	orphans orphanList
	// orphanLock is s_orphan_lock (lock_super in 2.6.18's ext3).
	orphanLock vfs.Lock
	orphanFile *orphanFileInfo
	faults     Faults
	counters   allocCounters
	// cleanupRW lets orphan cleanup on a read-only mount write, as
	// ext4_orphan_cleanup clears SB_RDONLY for its duration.
	cleanupRW bool
	aborted   bool
	// oopses records what the modelled kernel would have crashed on (the
	// BUG at unmount when the in-memory orphan list is not empty).
	oopses []string
	// nextGen is the i_generation the next new inode gets (export.go).
	nextGen uint32
}

// FS returns the mounted ext4 filesystem behind sb (for tests and the
// checkpoint code), or nil.
func FS(sb *vfs.Superblock) *Mounted {
	if fs, ok := sb.Ops.(*fsInfo); ok {
		return &Mounted{fs}
	}
	return nil
}

// Mounted is the handle tests get on a mounted ext4sim filesystem.
type Mounted struct{ fs *fsInfo }

// Faults returns the fault-injection settings to change.
func (m *Mounted) Faults() *Faults { return &m.fs.faults }

// Device returns the device the filesystem is mounted from.
func (m *Mounted) Device() *Device { return m.fs.dev }

// Oopses returns the kernel crashes the modelled kernel would have had.
func (m *Mounted) Oopses() []string { return append([]string(nil), m.fs.oopses...) }

// Orphans returns the on-disk orphan chain, head first (the whole chain,
// where the oracle's reader stops at 1000; a cycle is cut after as many
// steps as there are inodes), and the orphan file's occupied slots.
func (m *Mounted) Orphans() []uint64 {
	out := m.fs.diskChain(int(m.fs.cur.geo.inodesCount()))
	for _, ino := range m.fs.orphanFileSlots() {
		out = append(out, uint64(ino))
	}
	return out
}

// Check runs the fsck-like checker on the filesystem's current state.
func (m *Mounted) Check() []vfs.Violation { return m.fs.check() }

var (
	_ vfs.InodeEvicter     = (*fsInfo)(nil)
	_ vfs.SuperKiller      = (*fsInfo)(nil)
	_ vfs.OptionShower     = (*fsInfo)(nil)
	_ vfs.Syncer           = (*fsInfo)(nil)
	_ vfs.DirentWalker     = (*fsInfo)(nil)
	_ vfs.SuperChecker     = (*fsInfo)(nil)
	_ vfs.OrphanLister     = (*fsInfo)(nil)
	_ vfs.OrphanFileLister = (*fsInfo)(nil)
	_ vfs.FaultInjector    = (*fsInfo)(nil)
	_ vfs.Remounter        = (*fsInfo)(nil)
	_ vfs.OptionChecker    = FilesystemType{}
	_ vfs.Crasher          = (*Device)(nil)
)

// msg logs a line the way ext4_msg does: "EXT4-fs (DEVICE): ...".
func (fs *fsInfo) msg(format string, args ...any) {
	fs.k.Printk("EXT4-fs (%s): %s", devShort(fs.dev.name), strings.TrimSuffix(fmt.Sprintf(format, args...), "\n"))
}

// warning logs a line the way __ext4_warning does: "EXT4-fs warning
// (device DEVICE): FUNCTION:LINE: ...", LINE the line of the call in
// Linux 6.18's source (read from its log).
func (fs *fsInfo) warning(fn string, line int, format string, args ...any) {
	fs.k.Printk("EXT4-fs warning (device %s): %s:%d: %s", devShort(fs.dev.name), fn, line, strings.TrimSuffix(fmt.Sprintf(format, args...), "\n"))
}

func devShort(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func (fs *fsInfo) trace(fn, format string, args ...any) {
	if fs.k.Tracing() {
		fs.k.Tracef("fs/ext4:"+fn, format, args...)
	}
}

// FillSuper implements vfs.FilesystemType (models fs/ext4/super.c:
// __ext4_fill_super): recover the journal, load the root, run orphan
// cleanup.
func (FilesystemType) FillSuper(sb *vfs.Superblock, data string) error {
	dev, ok := sb.Device().(*Device)
	if !ok {
		return vfs.EINVAL
	}
	opts, err := parseOptions(data)
	if err != nil {
		return err
	}
	if dev.mounted != nil {
		vfs.Bug("ext4sim: %s mounted twice without sharing its superblock", dev.name)
	}
	k := sb.Kernel()
	fs := &fsInfo{sb: sb, k: k, dev: dev, opts: opts, icache: map[uint32]*vfs.Inode{}}
	fs.orphanLock.Name = "s_orphan_lock"
	fs.j = journal{fs: fs, keys: map[bufKey]bool{}, ordered: map[uint32]bool{}, maxTrans: 1024}
	journalRecovery := len(dev.log) > 0
	if journalRecovery {
		if dev.readOnly {
			fs.msg("write access unavailable, cannot proceed (try mounting with noload)")
			return vfs.EROFS
		}
		n := dev.recover()
		fs.trace("jbd2_journal_recover", "replayed %d transactions", n)
	}
	// needs_recovery in __ext4_fill_super: orphans to clean, an orphan
	// file marked present, or a journal that needed replaying.
	needsRecovery := journalRecovery || dev.home.sb.LastOrphan != 0 || dev.home.sb.OrphanPresent
	fs.cur = dev.home.clone()
	// The superblock's free counts are not journalled: ext4 recounts them
	// from the group descriptors at mount (ext4_count_free_inodes,
	// ext4_count_free_clusters) before seeding the per-CPU counters.
	fs.cur.sb.FreeInodes, fs.cur.sb.FreeBlocks = 0, 0
	for _, g := range fs.cur.groups {
		fs.cur.sb.FreeInodes += g.FreeInodes
		fs.cur.sb.FreeBlocks += uint64(g.FreeBlocks)
	}
	fs.counters = newAllocCounters(fs.cur)
	// Past every generation in the inode table, from a point drawn at
	// random per mount (export.go: newGeneration).
	fs.nextGen = max(fs.cur.maxGeneration()+1, k.GetRandomU32()>>1)
	if fs.cur.sb.OrphanFileIno != 0 {
		fs.orphanFile = &orphanFileInfo{cpu: opts.cpu}
		per := fs.cur.geo.orphanSlotsPerBlock()
		for _, b := range fs.cur.orphanBlocks {
			free := 0
			for _, v := range b {
				if v == 0 {
					free++
				}
			}
			if len(b) != per {
				vfs.Bug("ext4sim: orphan block of %d slots, want %d", len(b), per)
			}
			fs.orphanFile.free = append(fs.orphanFile.free, free)
		}
	}
	sb.Ops = fs
	sb.Private = fs
	// ext4_max_size for extent files: 2^32 - 1 blocks.
	sb.MaxBytes = int64(1<<32-1) << bits.TrailingZeros(uint(fs.cur.geo.BlockSize))
	dev.mounted = fs
	root, err := fs.iget(rootIno)
	if err != nil {
		dev.mounted = nil
		return err
	}
	sb.SetRoot(vfs.MakeRoot(root))
	fs.orphanCleanup()
	if needsRecovery && !dev.readOnly {
		fs.msg("recovery complete")
	}
	if !sb.ReadOnly() {
		fs.cur.sb.MountCount++
		fs.cur.sb.Clean = false
		if fs.orphanFile != nil {
			fs.cur.sb.OrphanPresent = true
		}
		fs.writeSuperNow()
	}
	mode := "r/w"
	if sb.ReadOnly() {
		mode = "ro"
	}
	fs.msg("mounted filesystem %s with ordered data mode. Quota mode: none.", mode)
	return nil
}

// writeSuperNow models fs/ext4/super.c:ext4_commit_super: the superblock goes
// straight to its home location, outside the journal.
func (fs *fsInfo) writeSuperNow() {
	fs.dev.home.sb = fs.cur.sb
}

// SyncFS implements vfs.Syncer (models fs/ext4/super.c:ext4_sync_fs plus the
// block device writeback sync(2) does): commit, then write the log home.
func (fs *fsInfo) SyncFS(sb *vfs.Superblock) error {
	fs.j.commit()
	fs.dev.checkpoint()
	return nil
}

// freeze models fs/ext4/super.c:ext4_freeze: commit and checkpoint, so the
// home locations hold everything (what fsfreeze -f guarantees a copy sees).
func (fs *fsInfo) freeze() {
	fs.j.commit()
	fs.dev.checkpoint()
	fs.writeSuperNow()
}

// KillSuper implements vfs.SuperKiller (models
// fs/ext4/super.c:ext4_put_super): final commit and checkpoint, a clean
// superblock, and the check of the in-memory orphan list that in Linux ends
// in a BUG when it is not empty.
func (fs *fsInfo) KillSuper(sb *vfs.Superblock) {
	if !sb.ReadOnly() {
		fs.j.commit()
		fs.dev.checkpoint()
		fs.cur.sb.OrphanPresent = false
		fs.cur.sb.Clean = true
		fs.writeSuperNow()
	}
	if fs.orphans.n > 0 {
		// dump_orphan_list, then ASSERT(list_empty(&sbi->s_orphan)).
		fs.k.Printk("sb orphan head is %d", fs.cur.sb.LastOrphan)
		fs.k.Printk("sb_info orphan list:")
		for _, ei := range fs.orphans.all() {
			// Linux also prints the inode's address; it is left out to
			// keep the log reproducible.
			fs.k.Printk("  inode %s:%d: mode %o, nlink %d, next %d", devShort(fs.dev.name), ei.ino, uint32(ei.vi.Mode), ei.vi.Nlink(), ei.dtime)
		}
		oops := fmt.Sprintf("kernel BUG at fs/ext4/super.c:ext4_put_super: %d inodes still on the in-memory orphan list of %s", fs.orphans.n, fs.dev.name)
		fs.k.Printk("%s", oops)
		fs.oopses = append(fs.oopses, oops)
	}
	fs.dev.mounted = nil
	if !sb.ReadOnly() {
		fs.msg("unmounting filesystem.")
	}
}

// ShowOptions implements vfs.OptionShower.
func (fs *fsInfo) ShowOptions(sb *vfs.Superblock) string {
	if len(fs.opts.raw) == 0 {
		return ""
	}
	return "," + strings.Join(fs.opts.raw, ",")
}

// WalkDirents implements vfs.DirentWalker for the invariant checker: every
// entry of every directory with the in-core inode it names (entries naming
// inodes not in core are skipped; dir is nil when the directory is not in
// core).
func (fs *fsInfo) WalkDirents(sb *vfs.Superblock, fn func(dir *vfs.Inode, name string, child *vfs.Inode)) {
	dirs := make([]uint32, 0, len(fs.cur.dirs))
	for ino := range fs.cur.dirs {
		dirs = append(dirs, ino)
	}
	sort.Slice(dirs, func(a, b int) bool { return dirs[a] < dirs[b] })
	for _, d := range dirs {
		dir := fs.icache[d]
		for _, blk := range fs.cur.dirs[d].blocks {
			for _, e := range blk {
				if e.ino == 0 || e.name == "." || e.name == ".." {
					continue
				}
				if child := fs.icache[e.ino]; child != nil {
					fn(dir, e.name, child)
				}
			}
		}
	}
}

// CheckSuper implements vfs.SuperChecker with the fsck-like checker.
func (fs *fsInfo) CheckSuper(sb *vfs.Superblock) []vfs.Violation { return fs.check() }

// InjectFault implements vfs.FaultInjector: kinds "add_entry" and
// "journal_start".
func (fs *fsInfo) InjectFault(kind string, n int) error {
	switch kind {
	case "add_entry":
		fs.faults.AddEntryENOSPC = n
	case "journal_start":
		fs.faults.JournalStartENOSPC = n
	default:
		return vfs.EINVAL
	}
	return nil
}
