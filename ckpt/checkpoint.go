package ckpt

import (
	"errors"
	"fmt"
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
)

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
}

// Target is a task of the container, by the name the script knows it.
type Target struct {
	Name string
	Task *vfs.Task
}

// Summary is what a checkpoint or restart did.
type Summary struct {
	Tasks, Files, Relinked int
	// DataBytes counts file data the kernel read, wrote or copied on the
	// way (the cover letter's point: relinking moves none).
	DataBytes uint64
	// Calls counts the kernel calls made (the fault injection's range).
	Calls int
}

func (s Summary) String() string {
	return fmt.Sprintf("tasks=%d files=%d relinked=%d data-bytes=%d", s.Tasks, s.Files, s.Relinked, s.DataBytes)
}

// ErrInjected is the error a FailAt call fails with (an errno, ENOMEM, as
// a failed allocation would).
var ErrInjected = fmt.Errorf("injected failure: %w", vfs.ENOMEM)

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
	if strategy != StrategyRelink && strategy != StrategyRelinkUpstream {
		return nil, fmt.Errorf("ckpt: unknown strategy %q (want %s or %s)", strategy, StrategyRelink, StrategyRelinkUpstream)
	}
	return &ctx{k: cp.Kernel(), cp: cp, era: era, strategy: strategy, failAt: opt.FailAt}, nil
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
	for _, tg := range targets {
		if err = c.checkpointTask(tg); err != nil {
			break
		}
	}
	// ckpt_ctx_free: after an error the deferred cleanup runs; either way
	// the queue is destroyed.
	if err != nil {
		c.errDeferq.run()
	}
	c.errDeferq.destroy()
	c.summary.DataBytes = dataBytes(c.k.Stats()) - dataBytes(before)
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
			return vfs.ENOENT // a removed working directory has no path to restore
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
	// Temporarily enter the mount namespace of the file to relink.
	ops := nsproxy.For(c.k)
	old := nsproxy.Of(cp)
	old.Get()
	oldRoot, oldPwd := vfs.PathGet(cp.FSStruct().Root()), vfs.PathGet(cp.FSStruct().Pwd())
	defer func() { vfs.PathPut(oldRoot); vfs.PathPut(oldPwd) }()
	if err := c.call(func() error { return cp.KernSetns(f.Path().Mnt.Namespace()) }); err != nil {
		old.Put() // never switched: drop the reference taken for the switch back
		return "", err
	}
	name, err := c.relinkInNamespace(f)
	// Restore the old mount namespace.
	ops.SwitchTaskNamespaces(cp, old)
	if c.fixed() {
		cp.SetRootPwd(oldRoot, oldPwd)
	}
	return name, err
}

// relinkInNamespace is the part of checkpoint_file_relink done in the
// file's namespace.
func (c *ctx) relinkInNamespace(f *vfs.File) (string, error) {
	name, err := c.checkpointFillRelinkFname(f)
	if err != nil {
		return "", err
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
// the checkpoint's relinked files from 1.
func (c *ctx) checkpointFillRelinkFname(f *vfs.File) (string, error) {
	var root string
	if err := c.call(func() error {
		m := f.Path().Mnt
		root = c.cp.DPath(vfs.Path{Mnt: m, Dentry: m.Root()})
		if root == "" {
			return vfs.ENOENT
		}
		return nil
	}); err != nil {
		return "", err
	}
	if !strings.HasSuffix(root, "/") {
		root += "/"
	}
	dir := "lost+found"
	if d := f.Inode().Sb.RelinkDir(); d != "" {
		dir = d
	}
	c.uniqueNameCount++
	return fmt.Sprintf("%s%s/checkpoint-%d/relinked-%d", root, dir, c.crid, c.uniqueNameCount), nil
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
func (c *ctx) queueRm(dir string) {
	cp := c.cp
	c.errDeferq.add(func() error { return removeAll(cp, dir) }, nil)
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
