package ckpt

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/vfs"
)

// The strategies this package implements.
const (
	// StrategyRelink is the seed's code under the kernel's era: relink2011
	// as posted, relink2011-fixed with its bugs fixed, and on an upstream
	// kernel the same calls, which vfs_link refuses for nlink 0 (ENOENT).
	StrategyRelink = "relink"
	// StrategyRelinkUpstream is the seed ported to today's kernel: the
	// orphan is marked I_LINKABLE before do_kern_linkat, the relink
	// directory's path is made when missing, and everything the checkpoint
	// made is removed after a successful restart.
	StrategyRelinkUpstream = "relink-upstream"
	// StrategyCRIU is CRIU's userspace algorithm (criu/files-reg.c) on
	// today's kernel: link-remaps for files that still have a link
	// (Options.LinkRemap), ghost files — their contents in the image —
	// for files that have none, and CRIU's restore protocol.
	StrategyCRIU = "criu"
	// StrategyHandle records a file handle (name_to_handle_at) of each
	// unlinked file and reopens it with open_by_handle_at.
	StrategyHandle = "handle"
	// StrategyCopy is the cover letter's first attempt: an unlinked
	// file's whole contents into the image, written into a new file at
	// restart.
	StrategyCopy = "copy"
)

// Strategies lists every strategy, relinking ones first.
var Strategies = []string{StrategyRelink, StrategyRelinkUpstream, StrategyCRIU, StrategyHandle, StrategyCopy}

func knownStrategy(s string) bool {
	for _, k := range Strategies {
		if k == s {
			return true
		}
	}
	return false
}

// DefaultStrategy is relink-upstream on an upstream kernel, relink on the
// others.
func DefaultStrategy(era vfs.Era) string {
	if era == vfs.Upstream {
		return StrategyRelinkUpstream
	}
	return StrategyRelink
}

// Options configure a checkpoint or a restart.
type Options struct {
	// Strategy is StrategyRelink or StrategyRelinkUpstream ("" for
	// DefaultStrategy).
	Strategy string
	// FailAt makes the FailAt-th kernel call of the path fail with ENOMEM
	// (0: none), so that every failure path can be walked in turn.
	FailAt int
	// LinkRemap is CRIU's --link-remap (criu only): a file that still
	// has links but not its name gets a link_remap.<id> hard link;
	// without it such a file fails the dump.
	LinkRemap bool
	// GhostLimit is CRIU's --ghost-limit in bytes (criu only; 0:
	// DefaultGhostLimit): a ghost with more allocated bytes fails the
	// dump.
	GhostLimit int64
}

// Target is a task of the container, by the name the script knows it.
type Target struct {
	Name string
	Task *vfs.Task
}

// Summary is what a checkpoint or restart did.
type Summary struct {
	Tasks, Files, Relinked int
	// LinkRemaps, Ghosts, Handles and Copies count the remaps of the
	// criu, handle and copy strategies.
	LinkRemaps, Ghosts, Handles, Copies int
	// ImageDataBytes counts the file data the image carries (ghosts,
	// copies, fifo data).
	ImageDataBytes uint64
	// MetadataOps counts the namespace and inode changes the kernel made
	// (vfs.IOStats.MetadataOps).
	MetadataOps uint64
	// DataBytes counts file data the kernel read, wrote or copied on the
	// way (the cover letter's point: relinking moves none).
	DataBytes uint64
	// Calls counts the kernel calls made (the fault injection's range).
	Calls int
}

func (s Summary) String() string {
	out := fmt.Sprintf("tasks=%d files=%d relinked=%d", s.Tasks, s.Files, s.Relinked)
	for _, c := range []struct {
		name string
		n    int
	}{{"link-remaps", s.LinkRemaps}, {"ghosts", s.Ghosts}, {"handles", s.Handles}, {"copies", s.Copies}} {
		if c.n > 0 {
			out += fmt.Sprintf(" %s=%d", c.name, c.n)
		}
	}
	if s.ImageDataBytes > 0 {
		out += fmt.Sprintf(" image-data-bytes=%d", s.ImageDataBytes)
	}
	return out + fmt.Sprintf(" data-bytes=%d", s.DataBytes)
}

// ErrInjected is the error a FailAt call fails with (an errno, ENOMEM, as
// a failed allocation would).
var ErrInjected = fmt.Errorf("injected failure: %w", vfs.ENOMEM)

// kernelOops is a crash of the modelled kernel code in the checkpointer's
// context (a NULL pointer dereference): Linux kills the task there, so
// sys_checkpoint never returns and ckpt_ctx_free never runs — err_deferq
// is neither run nor destroyed, and whatever the checkpoint relinked
// before stays. The simulator prints the oops to the kernel log (dmesg),
// as ext4sim does with its BUG, and returns EFAULT in place of the
// SIGKILL the caller would see: there is no errno for a killed caller.
// The checkpoint daemon lives on (it stands for the killed checkpointer).
type kernelOops struct{ msg string }

func (o *kernelOops) Error() string {
	return "kernel oops: " + o.msg + " (the checkpointer is killed; EFAULT stands for the kill)"
}

func (o *kernelOops) Unwrap() error { return vfs.EFAULT }

// oops records a kernelOops in the kernel log and returns it.
func (c *ctx) oops(msg string) error {
	c.k.Printk("BUG: unable to handle kernel NULL pointer dereference in %s", msg)
	c.k.Printk("Killed: the checkpointer, in sys_checkpoint; ckpt_ctx_free never runs")
	return &kernelOops{msg: msg}
}

// ctx models struct ckpt_ctx for one checkpoint or restart.
type ctx struct {
	k        *vfs.Kernel
	cp       *vfs.Task // current: the checkpointer or restarter
	era      vfs.Era
	strategy string
	crid     uint32
	// uniqueNameCount numbers relinked files within the checkpoint
	// (ctx->unique_name_count).
	uniqueNameCount uint32
	// errDeferq is ctx->err_deferq: run when the operation failed,
	// destroyed (destructors run) when it succeeded.
	errDeferq deferqueue
	img       *Image
	creds     map[*vfs.Cred]uint32
	fss       map[*vfs.FSStruct]uint32
	tables    map[*vfs.FilesStruct]uint32
	files     map[*vfs.File]uint32
	failAt    int
	summary   Summary
	// madeRelinkDirs are the missing relink directories the port made
	// (checkpointMakeRelinkCollection), for the restart to remove.
	madeRelinkDirs []string
	// reservedDirs are the names reserved for removed directories (the
	// fixed code), by inode.
	reservedDirs map[*vfs.Inode]string
	// pipes are the fifos whose data is recorded.
	pipes map[*vfs.Inode]bool
	// ownNS is the checkpointer's own mount namespace.
	ownNS *vfs.MountNamespace
	// linkRemap and ghostLimit are the criu strategy's options; criu its
	// state.
	linkRemap  bool
	ghostLimit int64
	criu       criuDump
	// copyBytes counts the copy strategy's data (MaxCopyBytes).
	copyBytes uint64
}

// call is every kernel call of the path: it counts them, and fails the
// FailAt-th.
func (c *ctx) call(fn func() error) error {
	c.summary.Calls++
	if c.summary.Calls == c.failAt {
		return ErrInjected
	}
	return fn()
}

func newCtx(cp *vfs.Task, opt Options) (*ctx, error) {
	era := cp.Kernel().Era()
	strategy := opt.Strategy
	if strategy == "" {
		strategy = DefaultStrategy(era)
	}
	if !knownStrategy(strategy) {
		return nil, fmt.Errorf("ckpt: unknown strategy %q (want one of %s): %w", strategy, strings.Join(Strategies, ", "), vfs.EINVAL)
	}
	if (strategy == StrategyCRIU || strategy == StrategyHandle) && era != vfs.Upstream {
		// linkat(AT_EMPTY_PATH) and name_to_handle_at came with 2.6.39.
		return nil, fmt.Errorf("ckpt: strategy %s needs an upstream kernel, not %s: %w", strategy, era, vfs.EINVAL)
	}
	if opt.GhostLimit < 0 {
		return nil, fmt.Errorf("ckpt: negative ghost limit %d: %w", opt.GhostLimit, vfs.EINVAL)
	}
	limit := opt.GhostLimit
	if limit == 0 {
		limit = DefaultGhostLimit
	}
	return &ctx{k: cp.Kernel(), cp: cp, era: era, strategy: strategy, failAt: opt.FailAt, ownNS: cp.MountNamespace(),
		linkRemap: opt.LinkRemap, ghostLimit: limit,
		criu: criuDump{ghosts: map[*vfs.Inode]uint32{}, copies: map[*vfs.Inode]uint32{}}}, nil
}

// fixed reports whether the 2011 series' bugs are fixed: under
// relink2011-fixed, and in the port to today's kernel.
func (c *ctx) fixed() bool {
	return c.era == vfs.Relink2011Fixed || c.strategy == StrategyRelinkUpstream
}

// Checkpoint models sys_checkpoint (kernel/checkpoint/sys.c) of the frozen
// tasks targets, run by cp: every task's credentials, fs_struct and
// descriptor table, every open file once however many descriptors and
// tasks share it, each unlinked file relinked first (checkpoint_file_links).
// Any error fails the whole checkpoint: err_deferq then removes every
// collection directory the checkpoint made, with what was relinked into
// it (seed patch 10), so the tasks' files are open-unlinked again.
func Checkpoint(cp *vfs.Task, targets []Target, opt Options) (*Image, Summary, error) {
	c, err := newCtx(cp, opt)
	if err != nil {
		return nil, Summary{}, err
	}
	nsproxy.Enable(c.k)
	st := state(c.k)
	st.crid++
	c.crid = st.crid
	c.img = &Image{Version: FormatVersion, Era: c.era.String(), Strategy: c.strategy, CRID: c.crid}
	c.creds = map[*vfs.Cred]uint32{}
	c.fss = map[*vfs.FSStruct]uint32{}
	c.tables = map[*vfs.FilesStruct]uint32{}
	c.files = map[*vfs.File]uint32{}
	c.reservedDirs = map[*vfs.Inode]string{}
	c.pipes = map[*vfs.Inode]bool{}
	before := c.k.Stats()
	err = nil
	if remapping(c.strategy) {
		// CRIU numbers the link-remaps' file ids after the files'.
		c.criu.fileIDs = uint32(countFiles(targets))
	}
	for _, tg := range targets {
		if err = c.checkpointTask(tg); err != nil {
			break
		}
	}
	// ckpt_ctx_free: after an error the deferred cleanup runs; either way
	// the queue is destroyed. After an oops the checkpointer is dead and
	// ckpt_ctx_free never runs: what was relinked stays (kernelOops).
	var oops *kernelOops
	if !errors.As(err, &oops) {
		if err != nil {
			c.errDeferq.run()
		}
		c.errDeferq.destroy()
	}
	c.summary.DataBytes = dataBytes(c.k.Stats()) - dataBytes(before)
	c.summary.MetadataOps = c.k.Stats().MetadataOps - before.MetadataOps
	c.summary.ImageDataBytes = imageDataBytes(c.img)
	if err != nil {
		return nil, c.summary, err
	}
	// The relink directories the port made because they were missing
	// (lost+found on tmpfs and btrfs) go into the image, so that a
	// restart — on this kernel or after a reboot — removes everything the
	// checkpoint made.
	c.img.Made = c.madeRelinkDirs
	return c.img, c.summary, nil
}

// countFiles counts the distinct open files of the targets.
func countFiles(targets []Target) int {
	seen := map[*vfs.File]bool{}
	for _, tg := range targets {
		for _, fd := range tg.Task.Files().FDs() {
			seen[tg.Task.Files().File(fd)] = true
		}
	}
	return len(seen)
}

// imageDataBytes counts the file data img carries.
func imageDataBytes(img *Image) uint64 {
	var n uint64
	for _, r := range img.Remaps {
		n += r.DataBytes()
	}
	for _, f := range img.Files {
		n += uint64(len(f.FifoData))
	}
	return n
}

func dataBytes(s vfs.IOStats) uint64 { return s.DataBytesRead + s.DataBytesWritten + s.DataBytesCopied }

// checkpointTask records a task: its credentials, fs_struct and table.
func (c *ctx) checkpointTask(tg Target) error {
	t := tg.Task
	ts := TaskState{Name: tg.Name}
	ts.CredRef = c.checkpointCred(t.Cred())
	fs, err := c.checkpointFS(t.FSStruct())
	if err != nil {
		return err
	}
	ts.FSRef = fs
	table, err := c.checkpointFileTable(t.Files())
	if err != nil {
		return err
	}
	ts.TableRef = table
	c.img.Tasks = append(c.img.Tasks, ts)
	c.summary.Tasks++
	return nil
}

// checkpointCred records a credential once (checkpoint_obj with
// CKPT_OBJ_CRED).
func (c *ctx) checkpointCred(cr *vfs.Cred) uint32 {
	if ref, ok := c.creds[cr]; ok {
		return ref
	}
	c.img.Creds = append(c.img.Creds, Cred{UID: cr.UID, GID: cr.GID, Caps: uint64(cr.Caps)})
	ref := uint32(len(c.img.Creds))
	c.creds[cr] = ref
	return ref
}

// checkpointFS records an fs_struct once (checkpoint_obj_fs).
func (c *ctx) checkpointFS(fs *vfs.FSStruct) (uint32, error) {
	if ref, ok := c.fss[fs]; ok {
		return ref, nil
	}
	var root, cwd string
	if err := c.call(func() error {
		root = c.cp.DPath(fs.Root())
		cwd = c.cp.DPath(fs.Pwd())
		if fs.Pwd().Dentry.Unlinked() {
			// A removed working directory has no path to restore
			// (a model limit: CRIU dumps it as a ghost directory).
			return fmt.Errorf("the working directory %s was removed: no path to restore it by: %w", cwd, vfs.ENOENT)
		}
		return nil
	}); err != nil {
		return 0, err
	}
	c.img.FSs = append(c.img.FSs, FSState{Root: root, Cwd: cwd, Umask: uint32(fs.Umask())})
	ref := uint32(len(c.img.FSs))
	c.fss[fs] = ref
	return ref, nil
}

// checkpointFileTable records a descriptor table once, its files first
// (checkpoint_obj_file_table).
func (c *ctx) checkpointFileTable(fdt *vfs.FilesStruct) (uint32, error) {
	if ref, ok := c.tables[fdt]; ok {
		return ref, nil
	}
	var tab FDTable
	for _, fd := range fdt.FDs() {
		ref, err := c.checkpointFile(fdt.File(fd))
		if err != nil {
			return 0, err
		}
		tab.Entries = append(tab.Entries, FDEntry{FD: int32(fd), FileRef: ref})
	}
	c.img.Tables = append(c.img.Tables, tab)
	ref := uint32(len(c.img.Tables))
	c.tables[fdt] = ref
	return ref, nil
}

// openTimeFlags are the open flags the kernel clears once the file is
// open (do_dentry_open), which a reopen must not pass again.
const openTimeFlags = vfs.O_CREAT | vfs.O_EXCL | vfs.O_TRUNC

// checkpointFile records an open file once: checkpoint_file_common (flags,
// position, version, credentials, CKPT_RESTART_FILE_F_UNLINK for a
// d_unlinked dentry), then generic_file_checkpoint's or
// pipe_file_checkpoint's name (checkpoint_fname) and links
// (checkpoint_file_links), and a fifo's buffered data.
func (c *ctx) checkpointFile(f *vfs.File) (uint32, error) {
	if ref, ok := c.files[f]; ok {
		return ref, nil
	}
	if !checkpointable(f) {
		// checkpoint_file: a file whose f_op has no .checkpoint fails
		// the checkpoint with EBADF ("f_op lacks checkpoint"). Of what
		// the model has, proc's files: a /proc/PID/ns descriptor would
		// be reopened by a name that holds the old pid.
		return 0, fmt.Errorf("%s: f_op lacks checkpoint: %w", c.cp.DPath(f.Path()), vfs.EBADF)
	}
	fs := FileState{Type: FileGeneric, Pos: f.Pos()}
	flags := f.Flags() &^ openTimeFlags
	if flags&vfs.O_TMPFILE == vfs.O_TMPFILE {
		flags &^= vfs.O_TMPFILE
	}
	fs.Flags = uint32(flags)
	switch {
	case f.Inode().Mode.IsFifo():
		fs.Type = FileFifo
	case f.Inode().Mode.IsDir():
		fs.Type = FileDir
	}
	fs.CredRef = c.checkpointCred(f.Cred())
	unlinked := f.Dentry().Unlinked()
	if unlinked {
		fs.RestartFlags |= FileUnlink
	}
	if err := c.call(func() error {
		fs.Path = c.cp.DPath(f.Path()) // checkpoint_fname
		return nil
	}); err != nil {
		return 0, err
	}
	if remapping(c.strategy) {
		fs.RestartFlags &^= FileUnlink
		if err := c.checkpointRemapped(f, &fs); err != nil {
			return 0, err
		}
		unlinked = false
	}
	if !unlinked && c.fixed() {
		if err := c.checkNameReachesFile(f, fs.Path); err != nil {
			return 0, err
		}
	}
	if unlinked {
		if f.Inode().State()&vfs.I_LINKABLE != 0 {
			fs.RestartFlags |= FileLinkable
		}
		name, ok := c.reservedDirs[f.Inode()]
		if !ok {
			var err error
			if name, err = c.checkpointFileLinks(f); err != nil {
				return 0, err
			}
		}
		if c.fixed() && f.Inode().Mode.IsDir() {
			// Every open file of one removed directory gets the one
			// name, so that the restart makes one directory for them
			// all, as there was one.
			c.reservedDirs[f.Inode()] = name
		}
		fs.Relinked = name
		c.summary.Relinked++
	}
	if fs.Type == FileFifo && !c.pipes[f.Inode()] {
		// The buffered bytes belong to the pipe, not to each file open
		// on it: recorded with the first (seed patch 05 checkpoints the
		// pipe once, by objref), so that the restart writes them back
		// once.
		c.pipes[f.Inode()] = true
		fs.FifoData = f.Inode().PipeData()
	}
	c.img.Files = append(c.img.Files, fs)
	ref := uint32(len(c.img.Files))
	c.files[f] = ref
	c.summary.Files++
	return ref, nil
}

// checkpointFileLinks models seed patch 04's fs/namei.c:checkpoint_file_links:
// an unlinked file needs a name for the backup or snapshot taken after the
// checkpoint; it returns the name checkpoint_file_relink gave it, which
// the image records after the original path.
func (c *ctx) checkpointFileLinks(f *vfs.File) (string, error) {
	return c.checkpointFileRelink(f)
}

// checkpointFileRelink models fs/namei.c:checkpoint_file_relink as seed
// patch 09 left it: the capability check, then — in the mount namespace of
// the file's mount, entered with kern_setns — the name
// (checkpoint_fill_relink_fname), the collection directory
// (checkpoint_make_relink_collection) and do_kern_linkat; then back to the
// checkpointer's own nsproxy.
//
// Era differences: relink2011 checks capable(CAP_DAC_OVERRIDE |
// CAP_DAC_READ_SEARCH), which is capable(3), CAP_FOWNER, and leaves the
// checkpointer's root and working directory where mntns_install put them;
// the fixed code checks each capability and restores them. The port
// (relink-upstream) marks the orphan I_LINKABLE so that today's vfs_link
// accepts it, and makes a missing relink directory.
//
// A file whose mount is detached — lazily unmounted (umount -l), or left
// behind when its mount namespace died — has no namespace: umount_tree set
// mnt->mnt_ns to NULL. The seed passes that NULL to kern_setns, whose
// mntns_install dereferences it (get_mnt_ns, or mnt_ns->user_ns in later
// versions) before anything else: an oops (kernelOops). The fixed code
// refuses such a file first, with EINVAL, the errno d_absolute_path gives
// for a path on a detached mount: no path from any root reaches it, so no
// relinked name could be looked up, at checkpoint or at restart.
func (c *ctx) checkpointFileRelink(f *vfs.File) (string, error) {
	cp := c.cp
	if c.fixed() {
		if !cp.Capable(vfs.CAP_DAC_OVERRIDE) || !cp.Capable(vfs.CAP_DAC_READ_SEARCH) || !cp.Capable(vfs.CAP_SYS_ADMIN) {
			return "", fmt.Errorf("relinking unlinked files requires CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_SYS_ADMIN: %w", vfs.EPERM)
		}
	} else if !cp.Capable(vfs.CAP_DAC_OVERRIDE|vfs.CAP_DAC_READ_SEARCH) || !cp.Capable(vfs.CAP_SYS_ADMIN) {
		// The seed ORs two capability numbers: 1|2 is 3, CAP_FOWNER.
		return "", fmt.Errorf("relinking unlinked files requires CAP_DAC_{OVERRIDE,READ_SEARCH} and CAP_SYS_ADMIN: %w", vfs.EPERM)
	}
	m := f.Path().Mnt
	ns := m.Namespace()
	if ns == nil && c.fixed() {
		return "", fmt.Errorf("relinking unlinked file %s: its %s is detached, in no mount namespace: no path reaches it: %w",
			cp.DPath(f.Path()), m, vfs.EINVAL)
	}
	var name string
	err := c.inNamespace(ns, m, func() error {
		var err error
		name, err = c.relinkInNamespace(f)
		return err
	})
	return name, err
}

// inNamespace runs fn with the checkpointer temporarily in mount namespace
// ns (kern_setns, seed patch 09), then switches back to its own nsproxy.
// The seed leaves the checkpointer's root and working directory where
// mntns_install put them (the root of ns); the fixed code restores them.
// A nil ns (m detached) is the seed's oops (kernelOops).
func (c *ctx) inNamespace(ns *vfs.MountNamespace, m *vfs.Mount, fn func() error) error {
	cp := c.cp
	ops := nsproxy.For(c.k)
	old := nsproxy.Of(cp)
	old.Get()
	oldRoot, oldPwd := vfs.PathGet(cp.FSStruct().Root()), vfs.PathGet(cp.FSStruct().Pwd())
	defer func() { vfs.PathPut(oldRoot); vfs.PathPut(oldPwd) }()
	if err := c.call(func() error {
		if ns == nil {
			// kern_setns(&mntns_operations, NULL): mntns_install's
			// first touch of the namespace faults.
			return c.oops(fmt.Sprintf("mntns_install: the NULL mnt_ns of %s, detached by umount_tree", m))
		}
		return cp.KernSetns(ns)
	}); err != nil {
		old.Put() // never switched: drop the reference taken for the switch back
		return err
	}
	err := fn()
	// Restore the old mount namespace.
	ops.SwitchTaskNamespaces(cp, old)
	if c.fixed() {
		cp.SetRootPwd(oldRoot, oldPwd)
	}
	return err
}

// relinkInNamespace is the part of checkpoint_file_relink done in the
// file's namespace.
//
// The relinked name is a string, d_path of the file's mount root with the
// relink directory appended, which checkpoint_make_relink_collection's
// mkdir, do_kern_linkat and the restart's open each look up again from the
// root, following mounts. When something is mounted on the file's mount
// root (or on its relink directory), those lookups land in the mount on
// top. The seed (relink2011, and its calls on today's kernel) then makes
// the collection directory there, or fails with ENOENT where the top has
// no relink directory, and do_kern_linkat's do_linkat fails with EXDEV
// (old_path->mnt != nd->path.mnt); the err_deferq "rm -rf" of the same
// string removes what the mkdir made, on the same top mount, so C1 holds.
// The fixed code and the port check first (checkRelinkReachesMount) and
// make nothing.
func (c *ctx) relinkInNamespace(f *vfs.File) (string, error) {
	name, root, err := c.checkpointFillRelinkFname(f)
	if err != nil {
		return "", err
	}
	if c.fixed() {
		if err := c.checkRelinkReachesMount(f, root, name); err != nil {
			return "", err
		}
	}
	if err := c.checkpointMakeRelinkCollection(name); err != nil {
		return "", err
	}
	if c.fixed() && f.Inode().Mode.IsDir() {
		// vfs_link refuses a directory (EPERM), which fails the seed's
		// checkpoint. The fixed code only reserves the name: the restart
		// makes an empty directory there, opens it and removes it again
		// (restoreOpenFname), so nothing is linked now.
		return name, nil
	}
	inode := f.Inode()
	// An O_TMPFILE file opened without O_EXCL is I_LINKABLE already.
	wasLinkable := inode.State()&vfs.I_LINKABLE != 0
	if c.strategy == StrategyRelinkUpstream {
		// The port: today's vfs_link takes an nlink-0 inode only when it
		// is I_LINKABLE, as O_TMPFILE's are.
		inode.SetState(vfs.I_LINKABLE)
	}
	err = c.call(func() error { return c.cp.KernLinkat(f.Path(), vfs.AT_FDCWD, name) })
	if err != nil && c.strategy == StrategyRelinkUpstream && !wasLinkable {
		// Only the mark the port set is taken back: a linkable
		// O_TMPFILE file stays linkable.
		inode.ClearState(vfs.I_LINKABLE)
	}
	if err != nil {
		return "", fmt.Errorf("failed to relink unlinked file %s: %w", name, err)
	}
	if wasLinkable {
		// vfs_link cleared I_LINKABLE. Should the checkpoint fail, the
		// rm -rf (queued before, so run first) leaves the file nlink 0
		// again: it must be linkable again too, as it was (C1), as the
		// restart makes it (FileLinkable).
		c.errDeferq.add(func() error {
			if inode.Nlink() == 0 {
				inode.SetState(vfs.I_LINKABLE)
			}
			return nil
		}, nil)
	}
	return name, nil
}

// checkpointFillRelinkFname models fs/namei.c:checkpoint_fill_relink_fname
// with seed patch 07: d_path of the file's mount root, one separator, then
// "<s_relink_dir or lost+found>/checkpoint-<crid>/relinked-<n>", n counting
// the checkpoint's relinked files from 1. It also returns the d_path of
// the mount root, for the fixed code's check.
//
// d_path (prepend_path) walks up from {mnt, mnt_root} through the
// mountpoints to the checkpointer's root, which mntns_install set to the
// file's namespace root; it does not care what is mounted on top of the
// mount root, so an overmounted /mnt still gives "/mnt" — a name whose
// lookup lands in the top mount. (A detached mount would give "/", but
// the seed never gets here with one: kern_setns oopsed first.)
func (c *ctx) checkpointFillRelinkFname(f *vfs.File) (name, mntRoot string, err error) {
	var root string
	if err := c.call(func() error {
		m := f.Path().Mnt
		root = c.cp.DPath(vfs.Path{Mnt: m, Dentry: m.Root()})
		if root == "" {
			return vfs.ENOENT
		}
		return nil
	}); err != nil {
		return "", "", err
	}
	mntRoot = root
	if !strings.HasSuffix(root, "/") {
		root += "/"
	}
	dir := "lost+found"
	if d := f.Inode().Sb.RelinkDir(); d != "" {
		dir = d
	}
	c.uniqueNameCount++
	return fmt.Sprintf("%s%s/checkpoint-%d/relinked-%d", root, dir, c.crid, c.uniqueNameCount), mntRoot, nil
}

// checkRelinkReachesMount is the fixed code's check (relink2011-fixed and
// the port), made before anything is made: the relinked name is looked up
// by string at checkpoint (mkdir, do_kern_linkat) and at restart (open),
// so its directory must be on the file's own mount. kern_path of the
// d_path'ed mount root must land on {mnt, mnt_root}, and kern_path of the
// relink directory, where it exists, on mnt; otherwise something is
// mounted on top and the checkpoint fails with EBUSY, naming the mount.
// (A missing relink directory is left to the mkdir: ENOENT, or the port
// makes it.)
//
// The choice is ours: the seed has no such check, and a link made beneath
// an overmounted root could not be reopened by the restart anyway. CRIU
// refuses the same case at dump ("Open files on overmounted mounts are
// not supported yet", criu/files-reg.c, mnt_is_overmounted), without an
// errno. EBUSY is fs/namespace.c's for an overmounted mountpoint:
// lock_mount_exact (Al Viro's 2025 finish_automount rework) answers
// path_overmounted with it ("something's already mounted => -EBUSY").
// A name that does not resolve at all (a mount root since removed:
// "/mnt/x (deleted)") fails with its lookup error.
func (c *ctx) checkRelinkReachesMount(f *vfs.File, mntRoot, name string) error {
	m := f.Path().Mnt
	var p vfs.Path
	if err := c.call(func() error {
		var err error
		p, err = c.cp.KernPath(mntRoot)
		return err
	}); err != nil {
		return fmt.Errorf("relinking unlinked file: the root of %s, %s, does not resolve: %w", m, mntRoot, err)
	}
	top := p.Mnt
	reached := p.Mnt == m && p.Dentry == m.Root()
	vfs.PathPut(p)
	if !reached {
		return fmt.Errorf("relinking unlinked file: the root of %s, %s, is overmounted: the name %s would be looked up in %s: %w", m, mntRoot, name, top, vfs.EBUSY)
	}
	relinkDir := path.Dir(path.Dir(name))
	err := c.call(func() error {
		var err error
		p, err = c.cp.KernPath(relinkDir)
		return err
	})
	switch {
	case errors.Is(err, vfs.ENOENT):
		return nil
	case err != nil:
		return fmt.Errorf("relinking unlinked file: the relink directory %s of %s: %w", relinkDir, m, err)
	}
	top = p.Mnt
	vfs.PathPut(p)
	if top != m {
		return fmt.Errorf("relinking unlinked file: the relink directory %s of %s is overmounted: the name %s would be looked up in %s: %w", relinkDir, m, name, top, vfs.EBUSY)
	}
	return nil
}

// checkNameReachesFile is the fixed code's check of a file that still has
// its name (relink2011-fixed and the port): the restart reopens it by the
// name checkpoint_fname recorded, looked up from the restarter's root, so
// kern_path of that name must land on the file's own {mnt, dentry}.
// Where it does not — something is mounted on the name or on a directory
// above it since the file was opened, or the name resolves elsewhere —
// the checkpoint fails with EBUSY, as checkRelinkReachesMount does, rather
// than record a name the restart would open another file by. The seed
// has no such check: its restart silently opens whatever the name leads
// to (or fails), a wart relink2011 keeps.
func (c *ctx) checkNameReachesFile(f *vfs.File, name string) error {
	if m := f.Path().Mnt; m.Namespace() == nil {
		// As for an unlinked file (checkpointFileRelink): no path from
		// any root reaches a detached mount; d_absolute_path's EINVAL.
		return fmt.Errorf("checkpoint of %s: its %s is detached, in no mount namespace: no path reaches it: %w", name, m, vfs.EINVAL)
	}
	var p vfs.Path
	err := c.call(func() error {
		var err error
		p, err = c.cp.KernPath(name)
		return err
	})
	if err != nil {
		return fmt.Errorf("checkpoint of %s: its name does not resolve from the checkpointer's root: %w", name, err)
	}
	reached := p.Mnt == f.Path().Mnt && p.Dentry == f.Dentry()
	top := p.Mnt
	vfs.PathPut(p)
	if !reached {
		return fmt.Errorf("checkpoint of %s: the name leads to another file (in %s), something is mounted over it: the restart could not reopen it: %w",
			name, top, vfs.EBUSY)
	}
	return nil
}

// checkpointMakeRelinkCollection models
// fs/namei.c:checkpoint_make_relink_collection with seed patch 10: the
// directory that collects the links (the name's dirname), made with mode
// S_IRWXU & ~umask; EEXIST is fine; a directory it made is queued for
// removal, with all it holds, should the checkpoint fail
// (checkpoint_rm_relink_collection's "rm -rf"). The port also makes a
// missing relink directory (and queues it the same way).
func (c *ctx) checkpointMakeRelinkCollection(name string) error {
	dir := name[:strings.LastIndex(name, "/")]
	if len(dir) < 2 {
		return vfs.ENOENT // a non-empty dirname is needed
	}
	mode := vfs.FileMode(0o700) &^ c.cp.FSStruct().Umask()
	if c.strategy == StrategyRelinkUpstream {
		parent := dir[:strings.LastIndex(dir, "/")]
		err := c.call(func() error { return c.cp.Mkdir(parent, mode) })
		switch {
		case err == nil:
			c.queueRm(parent)
			c.madeRelinkDirs = append(c.madeRelinkDirs, parent)
		case !errors.Is(err, vfs.EEXIST):
			return err
		}
	}
	err := c.call(func() error { return c.cp.Mkdir(dir, mode) })
	switch {
	case err == nil:
		c.queueRm(dir)
		return nil
	case errors.Is(err, vfs.EEXIST): // already created the collection dir
		return nil
	}
	return err
}

// queueRm queues checkpoint_rm_relink_collection for dir: on failure,
// "rm -rf dir", as the user-mode helper of seed patch 10 runs it.
//
// The seed's helper runs the string in its own namespace and root, not in
// the one the directory was made in; in the model it runs as the
// checkpointer, whose root relink2011 leaves in the file's namespace (the
// kern_setns wart), so the string happens to resolve there. The fixed
// code and the port restore the checkpointer's root after each relink, so
// they run the removal in the namespace the directory was made in (the
// checkpointer's at queueing time), entered again with kern_setns: a
// directory made for a file of another namespace's mount goes too (C1).
func (c *ctx) queueRm(dir string) {
	cp := c.cp
	ns := cp.MountNamespace()
	if !c.fixed() || ns == c.ownNS {
		c.errDeferq.add(func() error { return removeAll(cp, dir) }, nil)
		return
	}
	ns.NSGet()
	c.errDeferq.add(func() error {
		defer ns.NSPut()
		return c.inNamespace(ns, nil, func() error { return removeAll(cp, dir) })
	}, func() error { ns.NSPut(); return nil })
}

// removeAll is rm -rf: every name under dir unlinked, every directory
// removed, dir last.
func removeAll(t *vfs.Task, dir string) error {
	fd, err := t.Open(dir, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	if err != nil {
		if errors.Is(err, vfs.ENOENT) {
			return nil
		}
		return err
	}
	ents, err := t.ReadDir(fd)
	t.Close(fd)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Name == "." || e.Name == ".." {
			continue
		}
		p := dir + "/" + e.Name
		if e.Type == vfs.S_IFDIR {
			if err := removeAll(t, p); err != nil {
				return err
			}
			continue
		}
		if err := t.Unlink(p); err != nil && !errors.Is(err, vfs.ENOENT) {
			return err
		}
	}
	if err := t.Rmdir(dir); err != nil && !errors.Is(err, vfs.ENOENT) {
		return err
	}
	return nil
}

// checkpointable reports whether f's file operations have a .checkpoint
// in the seed's tree: regular files, directories and fifos of the disk
// filesystems and tmpfs (generic_file_checkpoint, pipe_file_checkpoint),
// not proc's.
func checkpointable(f *vfs.File) bool {
	return f.Inode().Sb.Type().Name() != "proc"
}
