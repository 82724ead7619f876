package btrfssim

import "github.com/relinksim/relinksim/vfs"

// Transactions, at the level the orphan story needs: every change joins the
// running transaction (btrfs_start_transaction .. btrfs_end_transaction)
// and becomes durable at the next commit, which happens on sync, when a
// snapshot is made, and at unmount. A crash loses the running transaction
// whole. The 30-second commit timer and fsync's log tree are not modelled.

// trans is a transaction handle (struct btrfs_trans_handle).
type trans struct {
	fs *fsInfo
	fn string
}

// startTransaction models fs/btrfs/transaction.c:btrfs_start_transaction:
// a handle on the running transaction. It fails with ENOSPC when fault
// injection says so (as when the metadata reservation cannot be made).
//
// It is small enough to inline, so that a caller whose handle does not
// escape keeps it on its stack (the work is startTransactionErr's).
func (fs *fsInfo) startTransaction(fn string) (*trans, error) {
	if err := fs.startTransactionErr(fn); err != nil {
		return nil, err
	}
	return &trans{fs: fs, fn: fn}, nil
}

// startTransactionErr is the error btrfs_start_transaction fails with —
// EROFS on an errored filesystem, ENOSPC where fault injection makes the
// metadata reservation fail — or nil, the running transaction then
// marked dirty.
func (fs *fsInfo) startTransactionErr(fn string) error {
	switch {
	case fs.aborted:
		return vfs.EROFS // start_transaction on an errored filesystem
	case fs.faults.TransStartENOSPC > 0:
		fs.faults.TransStartENOSPC--
		fs.trace("btrfs_start_transaction", "%s: ENOSPC (injected)", fn)
		return vfs.ENOSPC
	}
	fs.dirty = true
	return nil
}

// end models fs/btrfs/transaction.c:btrfs_end_transaction.
func (t *trans) end() {}

// abort models fs/btrfs/transaction.c:__btrfs_abort_transaction with
// btrfs_handle_fs_error: the running transaction is abandoned (the model
// never commits again in this mount, so the device keeps the last commit),
// and the filesystem forces itself read-only. fn is where the error was
// hit; the kernel's messages follow (without its source line numbers).
func (t *trans) abort(fn string, err vfs.Errno) {
	fs := t.fs
	dev := devShort(fs.dev.name)
	fs.k.Printk("BTRFS: Transaction aborted (error -%d)", int(err))
	fs.k.Printk("BTRFS: error (device %s state A) in %s: errno=-%d %s", dev, fn, int(err), errnoText(err))
	fs.k.Printk("BTRFS info (device %s state EA): forced readonly", dev)
	fs.k.Printk("BTRFS: error (device %s state EA) in %s: errno=-%d %s", dev, t.fn, int(err), errnoText(err))
	fs.aborted = true
	fs.readonly = true
	fs.sb.ForceReadOnly()
	fs.dropDelayedItems()
}

// dropDelayedItems models the cleanup of an aborted transaction
// (btrfs_cleanup_transaction's btrfs_destroy_delayed_inodes): the DIR_INDEX
// insertions and deletions queued since the last commit never reach the
// tree, so in memory a name added since is no longer listed, and one
// removed since is listed again (its DIR_ITEM, changed in the tree itself,
// still answers lookups as the change left it). Linux runs it from the
// transaction kthread, soon after the abort; the model at once.
func (fs *fsInfo) dropDelayedItems() {
	for i := len(fs.delayed) - 1; i >= 0; i-- {
		c := fs.delayed[i]
		if c.added {
			c.dir.delIndex(c.index)
		} else {
			c.dir.putIndex(c.index, c.entry)
		}
	}
	fs.delayed = nil
}

// errnoText is btrfs_decode_error's wording.
func errnoText(err vfs.Errno) string {
	switch err {
	case vfs.ENOENT:
		return "No such entry"
	case vfs.ENOSPC:
		return "No space left"
	case vfs.EEXIST:
		return "Object already exists"
	case vfs.EROFS:
		return "Readonly filesystem"
	}
	return "unknown"
}

// syncFS models fs/btrfs/super.c:btrfs_sync_fs as sync_filesystem drives
// it: the data of every in-core file goes to its extents
// (btrfs_start_delalloc_roots and the wait for ordered extents), then the
// running transaction commits. Sync, freeze, unmount and a read-only
// remount take this path.
func (fs *fsInfo) syncFS() {
	if fs.aborted {
		return
	}
	for _, id := range fs.loadedRoots() {
		r := fs.roots[id]
		for _, ino := range r.cachedInodes() {
			r.writeData(ino)
		}
	}
	fs.commit()
}

// commit models fs/btrfs/transaction.c:btrfs_commit_transaction: the whole
// current metadata becomes the device's committed image. Unwritten file
// data is not part of it (Linux commits flush delalloc only with the
// flushoncommit mount option): a crash after a commit loses the data and
// the size growth of files not written back, as on Linux.
func (fs *fsInfo) commit() {
	if fs.aborted || !fs.dirty {
		return
	}
	fs.cur.generation++
	fs.delayed = nil // the delayed items reached the tree
	fs.dev.committed = fs.commitImage()
	fs.dev.commits++
	fs.dirty = false
	fs.trace("btrfs_commit_transaction", "generation %d", fs.cur.generation)
	if fs.dev.OnCommit != nil {
		fs.dev.OnCommit(fs.dev)
	}
}

// commitImage is the image a commit writes: every root item, with a copy
// of each tree changed since the last commit and the last commit's copy of
// every other (btrfs writes only the changed nodes; unchanged subtrees are
// shared).
func (fs *fsInfo) commitImage() *image {
	old := fs.dev.committed
	c := &image{generation: fs.cur.generation, roots: make(map[uint64]*rootItem, len(fs.cur.roots))}
	for _, id := range fs.cur.sortedRoots() {
		r := fs.cur.roots[id]
		cp := *r
		ri := fs.roots[id]
		if o := old.roots[id]; o != nil && ri != nil && !ri.dirty && o.tree != nil {
			cp.tree = o.tree
			if verifyCommits && !treesEqual(o.tree, r.tree) {
				vfs.Bug("btrfssim: tree %d changed without being marked dirty", id)
			}
		} else if o != nil && ri == nil {
			cp.tree = o.tree // never read since the last commit
		} else {
			cp.tree = r.tree.clone()
		}
		c.roots[id] = &cp
	}
	for _, ri := range fs.roots {
		ri.dirty = false
	}
	return c
}

// verifyCommits makes every commit check that the trees it shares are
// really unchanged (tests set it).
var verifyCommits = false
