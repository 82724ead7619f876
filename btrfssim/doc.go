// Package btrfssim is a model of Linux's btrfs at the depth the relink story
// needs: subvolumes and snapshots, orphan items, transactions and crashes,
// and every kernel era's btrfs_link. It plugs into package vfs as the
// filesystem type "btrfs".
//
// # Orphan items, and why snapshots need relinking first
//
// btrfs keeps no orphan list. An inode that loses its last name while a
// process still has it open gets an orphan item — key (ORPHAN_OBJECTID,
// ORPHAN_ITEM, inode number), no data — in the tree of its own subvolume,
// in the same transaction; the item is deleted with the inode at its last
// close, or when an O_TMPFILE inode gets its first name. Items a crash
// leaves behind are found by btrfs_orphan_cleanup, once per tree: for the
// top subvolume when the filesystem is mounted read-write, for any other
// subvolume when a lookup first crosses into it, for every tree read so far
// when a read-only mount becomes read-write — and for a new snapshot right
// after it is made.
//
// That last case is the 2011 cover letter's point about btrfs: a snapshot
// is a copy of its source's tree as the transaction commits, orphan items
// included, and the cleanup that follows deletes those inodes from the
// copy. A snapshot therefore never holds an open-but-unlinked file, however
// cheap it is; the checkpoint code must relink such files (seed patch 06
// makes btrfs_link accept them) before it takes the snapshot.
//
//	subvolume s:   keep(257)  gone(258, open, unlinked, orphan item)
//	snapshot s:    keep(257)                                   <- 258 cleaned
//
// # Kernel correspondence
//
//	FilesystemType   btrfs_fs_type; FillSuper is btrfs_fill_super/open_ctree
//	fsInfo           struct btrfs_fs_info
//	rootInfo         struct btrfs_root for an fs tree that has been read
//	rootItem         a ROOT_ITEM with its ROOT_BACKREF, in the tree of tree roots
//	fsTree           an fs tree: INODE_ITEMs with their INODE_REFs, DIR_ITEMs
//	                 and DIR_INDEXes, EXTENT_DATA, ORPHAN_ITEMs
//	inodeInfo        struct btrfs_inode
//	trans            struct btrfs_trans_handle
//	Device           a block device (a loop device over an image file)
//	Mkfs             mkfs.btrfs with the oracle's defaults
//	check            btrfs check's pass over links, entries and orphan items
//	export.go        btrfs_export_ops: file handles (vfs.Exporter)
//
// Importing the package registers the filesystem as "btrfs" with
// vfs.RegisterFS: its Setup makes a fresh filesystem on the kernel's next
// free loop device, with mkfs options size=BYTES, so the
// command line, the race explorer, transcripts and the conformance suite
// make it by name, and several filesystems can share a kernel.
//
// Functions say which kernel function they model ("models
// fs/btrfs/inode.c:btrfs_orphan_cleanup").
//
// # What the model holds to (measured on Linux 6.18)
//
//   - The top subvolume is tree 5, its root directory inode 256. Every
//     subvolume and snapshot has its own tree and its own inode numbers
//     (root directory 256, files from 257 up), counted from the tree's
//     highest number + 1 when the tree is read and never reused while it
//     stays read; a whiteout takes a number, a failed operation none.
//     Subvolume ids come from their own counter, 256 up.
//   - Every tree has its own anonymous st_dev; a subvolume's directory
//     stats as inode 256 on its tree's device, but getdents reports its
//     entry with the subvolume id as d_ino.
//   - A directory's nlink is always 1 and its i_size twice the summed
//     length of its names; getdents lists ".", "..", then the names in index
//     order (creation order, a renamed name counting as new).
//   - st_blocks counts whole 4 KiB sectors; a file of at most 2048 bytes in
//     its first sector is stored inline. SEEK_DATA and SEEK_HOLE walk the
//     extents written back so far and look for delalloc only in the holes
//     between them (find_desired_extent, with its unsigned handling of a
//     negative offset). Expanding a file whose end is not sector-aligned
//     turns the old last sector into data (btrfs_cont_expand).
//   - Names do not cross subvolumes: link, rename and exchange between
//     trees are EXDEV (EPERM in the old btrfs_link), except that a
//     subvolume's own entry may move anywhere; nothing may be renamed over a
//     subvolume (ENOTEMPTY); rmdir of an empty subvolume deletes it.
//   - A read-only snapshot refuses writes with EROFS (btrfs_permission).
//   - A file handle names objectid, tree and generation (20 bytes, type
//     0x4d); the generation is the transaction an inode was made in (7 for
//     the first after mkfs, the top directory 3), as on Linux, so the
//     simulator's agree with Linux's while transactions commit at the same
//     points (see below: no 30-second timer). A handle opens its own
//     tree's file through any mount of the filesystem, and is ESTALE once
//     the subvolume is deleted.
//   - Nested subvolumes inside a snapshot appear as empty stand-in
//     directories, inode 2, that nothing can be created in (EPERM).
//
// # Transactions and crashes
//
// Every change joins the running transaction; a commit — sync, snapshot
// creation, unmount — makes the current state the device's committed image
// (subvolume creation does not commit). A crash keeps the committed image
// only, and mounting it runs no replay, only the orphan cleanups above,
// which log nothing. A snapshot's cleanup lands in the next commit.
//
// # Eras
//
// btrfs_link follows the kernel's vfs.Era (see dirOps.Link):
//
//	upstream     EXDEV across subvolumes; an O_TMPFILE's orphan item goes
//	             after its first name is added
//	relink2011   seed patch 06: an nlink-0 inode is "adopted" — its orphan
//	             item is deleted, then the name is added; if that fails
//	             the inode has neither, and a crash leaks it (B5)
//	relink2011-fixed  as relink2011, but the orphan item is deleted only
//	             after the name was added: a failed relink leaves an
//	             orphan, which recovery deletes (testdata/adopted_leak)
//	older eras   2.6.38's btrfs_link (btrfs was merged in 2.6.29): its own
//	             ENOENT for nlink 0, EPERM across subvolumes
//
// Faults (Mounted.Faults, or the script op "fault"): "add_entry" makes
// btrfs_add_link in btrfs_link fail with ENOSPC, "trans_start" the next
// transaction starts.
//
// # Invariants
//
// The checker (Mounted.Check, the script op "check", and the kernel's
// invariant pass through vfs.SuperChecker) reads the current state of every
// live subvolume.
//
//	B1  every orphan item names an inode that has an item and no links
//	B2  an inode's nlink equals its back references (a tree's root
//	    directory: 1)
//	B3  every back reference has its directory entry
//	B4  a directory has nlink at most 1 and i_size twice its names' length
//	B5  no leak: an inode without links has an orphan item
//	B6  every entry names an inode that refers back to it, with the right
//	    type, and DIR_ITEMs match DIR_INDEXes
//	B7  a linked subvolume's entry is where its ROOT_BACKREF says
//	B8  in-core inodes agree with their items; a regular file's item holds
//	    its disk_i_size, which is never above i_size and equals it once
//	    the data is written back
//	B9  the inode, index and subvolume-id counters are above every number
//	    in use
//
// After a transaction abort nothing is checked: the in-memory trees hold
// what the failed operation left half-done, which is never written.
//
// # Divergences from Linux
//
//   - No space accounting: nothing runs out of space unless injected, and
//     long names never fill the metadata (Linux: ENOSPC at link 41452 of a
//     255-character name on the oracle's image).
//   - Before extended inode refs (2012) many links with long names in one
//     directory gave EMLINK early; every era here allows 65535.
//   - A snapshot copies the source tree's items (copy-on-write only for file
//     data), so its cost grows with the subvolume; Linux shares the tree.
//   - Transactions commit only on sync, snapshot, a read-only remount and
//     unmount: no 30-second timer, no fsync log tree. File data is written
//     back only by sync, freeze, unmount, a read-only remount, a snapshot
//     of its subvolume, a close after truncation to zero, a rename over a
//     non-empty file, and eviction: no flusher thread, so a commit from a
//     snapshot of another subvolume never carries it (on Linux it might,
//     if the flusher ran in between).
//   - RENAME_EXCHANGE of two stand-ins for nested subvolumes is refused
//     with EPERM. Linux 6.18 lets it through and corrupts the directory:
//     both names then lead to inode 2, which has no item (lookups ENOENT),
//     and the listing shows each name twice. The generator never draws it.
//     (With one stand-in Linux fails with ENOENT and aborts the
//     transaction, which the model does too.)
//   - After a transaction abort the kernel log lines carry no source line
//     numbers. The aborted transaction's cleanup (the transaction
//     kthread's, on Linux) runs at once: the DIR_INDEX items queued since
//     the last commit are dropped, so a name made since is no longer
//     listed and one removed since is listed again, while lookups answer
//     as the DIR_ITEMs were left; the device keeps the last commit, and
//     its orphan items are what the orphans op reads (scenarios
//     btrfs-snapshot-stub-exchange, btrfs-abort-drops-delayed-index).
//     Delayed items that Linux flushes early (beyond
//     BTRFS_DELAYED_BACKGROUND queued) are not modelled.
//   - Deleted subvolumes are dropped at the next mount, not by the cleaner
//     thread.
//   - st_dev numbers are distinct and stable, but not the numbers Linux
//     picks (those depend on the rest of the system).
//   - The unprivileged BTRFS_IOC_INO_LOOKUP query (a descriptor's tree id)
//     is modelled; resolving other inode numbers to paths is not
//     (EOPNOTSUPP).
package btrfssim
