// Package ext4sim is a model of Linux's ext4 filesystem at the depth the
// orphan story needs: inode allocation, directories, the orphan list in
// memory and on disk, the orphan_file feature, a jbd2-style journal with
// crash and recovery, mount-time orphan cleanup, and every kernel era's
// ext4_link. It plugs into package vfs as the filesystem type "ext4".
//
// # The orphan list
//
// An inode whose last name is removed while a process still has it open
// cannot be freed yet, but if the machine crashes before the last close, the
// allocated, nameless inode would leak. ext4 therefore records such inodes
// on disk: the superblock's s_last_orphan names the newest orphan, each
// orphan's i_dtime (unused while the inode is live) names the next one, and
// the oldest has 0. A mount after a crash walks that chain and finishes
// what the lost process would have done — deletes the inodes whose nlink is
// 0 and truncates the ones that were mid-truncate. The same inodes are
// linked in memory through sbi->s_orphan, so that removing one from the
// middle can find the predecessor whose i_dtime must be rewritten:
//
//	unlink A, B, C (all open)   s_last_orphan -> C -> B -> A -> 0
//	close B                      s_last_orphan -> C ------> A -> 0   (C's i_dtime rewritten)
//	close C                      s_last_orphan -> A -> 0             (superblock rewritten)
//
// Linking an orphan back into the tree (the relink of the 2011 checkpoint
// series, or an O_TMPFILE's first link) must take it off the list in the
// same transaction that adds the name, or a crash leaves a named inode on
// the chain (which cleanup would then destroy) or an unnamed one off it
// (which leaks). Which order the kernel used is what the eras differ in.
//
// # Kernel correspondence
//
//	FilesystemType       ext4_fs_type; FillSuper is __ext4_fill_super
//	fsInfo               struct ext4_sb_info (sbi)
//	inodeInfo            struct ext4_inode_info (i_orphan, i_dtime, ...)
//	image                the block device's content: superblock, group
//	                     descriptors with inode bitmaps, inode table,
//	                     directory blocks, data, orphan-file blocks
//	Device               a block device (a loop device over an image file)
//	journal, handle      journal_t / transaction_t, handle_t (fs/jbd2)
//	diskDir, dirent      a directory's blocks, struct ext4_dir_entry_2
//	dxTree, dxEntry      an htree's dx_root and dx_node blocks, struct
//	                     dx_entry (htree.go: fs/ext4/namei.c's dx_*)
//	orphanList           sbi->s_orphan
//	orphanFileInfo       struct ext4_orphan_info (fs/ext4/orphan.c)
//	pcpuCounter          struct percpu_counter (s_freeinodes_counter, ...)
//	Mkfs                 mke2fs with the oracle's defaults
//	export.go            ext4_export_ops: file handles (vfs.Exporter)
//	check                e2fsck's pass over the orphan chain and link counts
//
// Importing the package registers the filesystem as "ext4" with
// vfs.RegisterFS: its Setup makes a fresh filesystem on the kernel's next
// free loop device, with mkfs options orphan_file, blocksize=N, size=BYTES, inode_ratio=N, so the
// command line, the race explorer, transcripts and the conformance suite
// make it by name, and several filesystems can share a kernel.
//
// Functions say which kernel function they model ("models
// fs/ext4/orphan.c:ext4_orphan_del").
//
// # Geometry (the oracle's image)
//
// Mkfs with zero MkfsOptions lays out what `mkfs.ext4 -q -F` makes of a
// 128 MiB file with e2fsprogs 1.47 (checked with dumpe2fs on Linux 6.18):
//
//	block size        1024 bytes, 131072 blocks, first data block 1
//	groups            16 × 8192 blocks, 16 × 2048 inodes, one flex group
//	reserved inodes   1–10; root 2, journal 8; lost+found 11 (12 KiB, nlink 2)
//	first new inode   12 (13 with orphan_file, whose inode is 12)
//	free              32757 inodes, 117189 blocks
//	directories       1 KiB blocks with a 12-byte checksum tail (988 bytes
//	                  of names after "." and ".."); EMLINK at 65000 links;
//	                  dir_index without large_dir: an htree of at most
//	                  two levels, 123 root and 126 dx_node entries
//	orphan_file       off by default; with it, 32 blocks of 254 slots
//
// New inodes take the lowest free number, except directories made in the
// root, which go through Orlov's top-level rule (see ialloc.go: after any
// allocation since mount they spread two per group, 2049, 2050, 4097, ...).
//
// # The journal and crashes
//
// Metadata changes are made in the mounted filesystem's current image
// (what the block device's page cache holds) under a handle, which joins
// the running transaction; a commit appends the transaction's buffers to the
// device's log, and a checkpoint writes them home. File data is ordered: it
// is written before the commit that covers the inode. Device.Crash keeps
// the home locations and the log and loses everything else; mounting the
// device again replays the log (the mount fails with EROFS on a read-only
// device that needs replay), recounts the free counts from the group
// descriptors, and runs ext4_orphan_cleanup, logging what the kernel logs:
//
//	EXT4-fs (loop0): orphan cleanup on readonly fs         (mount -o ro)
//	EXT4-fs (loop0): 3 orphan inodes deleted
//	EXT4-fs (loop0): 1 truncate cleaned up
//	EXT4-fs (loop0): recovery complete
//	EXT4-fs (loop0): write access unavailable, skipping orphan cleanup
//
// The mount option sim_commit=handle commits at every handle stop, so a test
// can crash between any two handles (TestCrashAtEveryCommit does, for
// generated workloads, in every fixed era).
//
// # Eras
//
// ext4_link follows the kernel's vfs.Era (see fsInfo.link):
//
//	pre2007      no nlink check and no orphan fix-up: a relinked orphan
//	             stays on the list; its last close frees it while still on
//	             the list, and unmount hits the BUG in ext4_put_super
//	sandeen-rfc  takes the inode off the list before adding the name; if
//	             adding fails the inode is unnamed and off the list: after
//	             a crash it leaks (Amir Goldstein's objection)
//	enoent2007   refuses nlink 0 with ENOENT (commit 2988a7740dc0)
//	relink2011   seed patch 02: .relink is ext4_link; it takes the inode off
//	             the list after the name is added, when nlink went 0 -> 1
//	relink2011-fixed  as relink2011 (ext4's relink has no bug to fix); the
//	             VFS's relink= option differs (testdata/relink_option)
//	upstream     the VFS refuses nlink 0 unless I_LINKABLE; ext4 takes an
//	             O_TMPFILE inode off the list after adding its first name
//
// Faults (Mounted.Faults, or the script op "fault") make ext4_add_entry or
// the journal start fail with ENOSPC; link, like the kernel, retries an
// ENOSPC three times (ext4_should_retry_alloc) before giving up.
//
// # Invariants
//
// The checker (Mounted.Check, the script op "check", and the kernel's
// invariant pass through vfs.SuperChecker) reports each broken invariant by
// number. It reads the current image, i.e. what would be on disk after a
// sync, and the in-memory list.
//
//	E1   every inode on the on-disk chain is allocated
//	E2   the chain has no cycle
//	E3   the in-memory list and the on-disk chain hold the same inodes in
//	     the same order
//	E4   an inode's nlink equals the names pointing at it (directories:
//	     ".", their subdirectories' "..", and their name; 0 once removed)
//	E5   no directory entry names a free inode, and no free inode owns
//	     directory blocks
//	E6   no leak: an allocated inode that no name reaches is an orphan
//	     (on the chain or in the orphan file)
//	E7   no inode is freed while still on the in-memory orphan list
//	E8   the groups' free-inode and directory counts, and the
//	     superblock's free-inode count, agree with the bitmaps
//	E9   every in-core inode has been copied to its inode-table buffer
//	E10  no orphan has a link (a shrinking truncate puts a linked inode on
//	     the list only for the length of its own system call, between two
//	     checks; after a crash, recovery's cleanup takes it off)
//	E11  every indexed directory's htree is well formed: block 0 holds
//	     only "." and ".."; each index block has 1 to its limit entries
//	     (123 in the root, 126 in a dx_node with 1 KiB blocks and
//	     metadata_csum), hashes in order and within the range of the entry
//	     above; dx_nodes exist exactly at indirect_levels 1; every other
//	     block is referenced once, as a dx_node or a leaf whose records
//	     span it; every name is in the leaf dx_probe picks for its hash or
//	     in a later one reached through continuation entries (hash | 1)
//
// pre2007's bug breaks E7 and E10; sandeen-rfc's breaks E6 after a crash;
// TestEraBugsAreCaught shows both, and their absence in the fixed eras.
//
// Lock order: a directory's i_rwsem, then the inode's i_rwsem (taken by the
// VFS), then s_orphan_lock (fsInfo.orphanLock) for the list itself.
//
// # Ground truth
//
// The model is checked against the real kernel: script's
// TestKernelDifferentialExt4 runs generated op sequences on a real ext4
// image on a loop device and on the simulator and compares every step,
// including the on-disk chain read with dumpe2fs and debugfs; this
// package's TestOrphanCleanupMatchesKernel compares mount-time cleanup on
// an image copied while files are open (fsfreeze, copy, thaw) with the
// kernel's dmesg and resulting chain. Both run only when
// RELINKSIM_HOST_TESTS=1 is set (Linux and root; CI sets it).
//
// # Divergences from Linux
//
//   - Directory placement is modelled as Linux 6.18 does it (htree.go,
//     checked block by block against debugfs's htree dump of the real
//     kernel's image by TestHtreeMatchesKernel): a full one-block
//     directory becomes an htree (make_indexed_dir), a name goes to the
//     leaf its keyed half-MD4 hash selects (dx_probe), a full leaf is
//     split by hash into a new block at the end (do_split, with the
//     kernel's unstable comb sort and its split point), a full dx_node is
//     halved and a full root gets a level under it, and a full two-level
//     index is ENOSPC with the kernel's warnings; getdents returns names
//     in hash order, leaves in index order (hash.go; the seed is mkfs's,
//     pinned by Mkfs and by the real-kernel harness to
//     DefaultHashSeedUUID). Not modelled: large_dir (three levels; mkfs
//     leaves it off), other hash versions (TEA, legacy, siphash for
//     casefolded directories), inline data, encrypted or casefolded
//     names, and a corrupt index's fallback to a linear scan. Lookups
//     use the simulator's name index (dirindex.go), which finds what
//     dx_probe and ext4_htree_next_block would.
//   - There are no block bitmaps, extents or checksums; data is kept as
//     sparse pages that record which 1 KiB blocks were written, and free
//     block counts are kept per group. st_blocks and SEEK_DATA/SEEK_HOLE
//     follow the written blocks, as Linux's do with delalloc (checked in
//     TestStBlocksMatchesKernel), except that a file with more extents than
//     fit in the inode does not gain the extent tree's index block.
//   - The per-CPU counters that steer Orlov's top-level rule are modelled
//     for one CPU: the real kernel agrees when the process stays on one CPU
//     (the differential test pins itself).
//   - i_dtime of a deleted inode is the Kernel's logical clock in seconds,
//     not wall time.
//   - The mount message omits the filesystem UUID.
//   - Writeback is not modelled: data reaches the device at a commit (data
//     ordered) or not at all.
//   - i_generation: __ext4_new_inode draws it at random, get_random_u32()
//     (prandom_u32() from 4.19, when the per-superblock s_next_generation
//     counter was dropped, until 6.1's treewide rename); mke2fs's own
//     inodes have 0. The simulator counts per mount, from a start drawn
//     with the kernel's deterministic GetRandomU32 (so a fresh filesystem
//     on another machine numbers its inodes' generations elsewhere, and a
//     handle of the old one is ESTALE there, as with Linux's random
//     ones) and past the largest generation in the inode table (freed
//     inodes' included), so a reused inode number never gets its old
//     one back — a file handle of a freed inode is ESTALE
//     (export.go), as it is on Linux but for a 1-in-2^32 chance. After a
//     crash that lost an inode's creation, its generation can come again.
package ext4sim
