// Package vfs is a deterministic model of the Linux virtual filesystem
// layer: inodes, dentries, superblocks, mounts and mount namespaces, open
// files, credentials and tasks, with system calls named like Linux's and
// answering with Linux's errnos in Linux's order. It is the foundation of
// relinksim: ext4sim and btrfssim plug into it as filesystems, the race
// explorer (package race) schedules its tasks, and its kernel-internal
// entry points (KernLinkat, VFSLink, Task.File) are there for the planned
// checkpoint code.
//
// # The story it is built to tell
//
// A process opens "a", links it to "b", unlinks "a" and creates a new "a".
// Its descriptor still refers to the first inode: the file description holds
// the dentry, the dentry — now unhashed, "unlinked" — holds the inode, and the
// inode lives on through "b". If "b" goes too, the inode has no name at all
// (nlink 0) and lives only as long as the descriptor; a filesystem with an
// on-disk orphan list (ext4) records it there so a crash cannot leak it.
// Checkpointing such a process means giving that inode a name again:
// relinking. Whether the kernel lets you depends on the era (see Era): the
// 2.6.18 kernel let anyone do it and corrupted ext3's orphan list in a race;
// 2007 ext3 refused with ENOENT; the 2011 relink series added a .relink
// operation that does it safely; today's kernel refuses everything but
// O_TMPFILE inodes (I_LINKABLE).
//
// # Kernel correspondence
//
//	Kernel          one simulated machine (no Linux analogue: Linux state is global)
//	Task            struct task_struct with its fs_struct, files_struct, cred and mnt_ns
//	Cred            struct cred
//	File            struct file
//	Path            struct path
//	Dentry          struct dentry           (fs/dcache.c)
//	Inode           struct inode            (fs/inode.c)
//	Superblock      struct super_block      (fs/super.c)
//	Mount           struct mount / vfsmount (fs/namespace.c)
//	MountNamespace  struct mnt_namespace
//	AddressSpace    struct address_space    (the page cache, sparse)
//	FilesystemType  struct file_system_type
//	Lookuper, Linker, Relinker, ...   the members of struct inode_operations
//	nameidata       struct nameidata        (fs/namei.c)
//	TmpfsType       mm/shmem.c with fs/libfs.c
//	procType        the /proc/self/fd part of fs/proc
//	FileHandle      struct file_handle          (fhandle.go: fs/fhandle.c)
//	Exporter, ...   struct export_operations    (fhandle.go: fs/exportfs/expfs.c)
//
// Functions that model a kernel function say so in their comment
// ("models fs/namei.c:vfs_link"), so grepping for a kernel name lands here.
// The system-call layer is Task's methods (Linkat, Openat, Renameat2, ...);
// below it sit the do_* functions (doLinkat, doUnlinkat, ...), then the
// vfs_* ones (vfsLink, vfsUnlink, ...), then the filesystem's operations.
//
// # Eras
//
// A Kernel follows one Era's link rules, chosen at NewKernel:
//
//	pre2007      no nlink check anywhere; no AT_EMPTY_PATH, O_TMPFILE, renameat2
//	sandeen-rfc  as pre2007 in the VFS (ext4sim changes its link)
//	enoent2007   as pre2007 in the VFS; ext3/ext4 refuse nlink 0 themselves
//	relink2011   no VFS nlink check; vfs_link calls .relink when present;
//	             do_linkat compares mounts before creating the name; the
//	             relink= mount option as seed patch 08 parses it
//	relink2011-fixed  relink2011 with its bugs fixed (relinksim's
//	             proposal): relink= set only with a new superblock,
//	             checked, freed and shown escaped; btrfs keeps an adopted
//	             inode's orphan item until its name exists (relinkopt.go)
//	upstream     vfs_link: ENOENT for nlink 0 unless I_LINKABLE; AT_EMPTY_PATH
//	             (6.10 credential rule); O_TMPFILE; protected_hardlinks
//
// # Filesystems: the registry and optional capabilities
//
// A filesystem is a FilesystemType registered with a Kernel
// (RegisterFilesystem, as register_filesystem) and, for the tools above vfs,
// an FSInfo in the process-wide registry (RegisterFS, LookupFS, FSNames):
// its Setup makes a fresh filesystem on a new loop device of a kernel
// (FreeLoopDevice) and returns the mount source; it also lists its mkfs and
// mount options, the eras that break it on purpose, the faults it can
// inject and what it supports. tmpfs registers here; ext4sim and btrfssim
// register when imported. What a filesystem can do beyond the VFS contract
// is a small optional interface, io/fs style, that callers ask for with a
// type assertion: OrphanLister, OrphanFileLister, FaultInjector, Subvolumer,
// Crasher (capabilities.go); Task's OnDiskOrphans, OrphanFileSlots,
// InjectFault, SubvolCreate, SnapshotCreate and SubvolOrphans reach them
// by path or descriptor. A filesystem whose files can be named by file
// handles implements Exporter (the export operations; tmpfs, ext4sim and
// btrfssim do), which name_to_handle_at(2), open_by_handle_at(2) and the
// kernel-side EncodeFH and DecodeFH use (fhandle.go).
//
// Several filesystems live on one kernel as on Linux, each on its own
// device:
//
//	k := vfs.NewKernel(vfs.Options{})
//	t := k.Init()
//	for _, name := range []string{"ext4", "btrfs"} { // import their packages
//		fi, _ := vfs.LookupFS(name)
//		src, err := fi.Setup(k, "")    // /dev/loop0, then /dev/loop1
//		...
//		t.Mkdir("/"+name, 0o755)
//		t.Mount(src, "/"+name, name, 0, "")
//	}
//
// (script.Machine.MountNew and the op mount-new do exactly this.)
//
// # Reference counting
//
// Who holds a reference on what (checked by invariants V5–V9, V15):
//
//	Dentry (d_count)    each child dentry, each File on it, each task root and
//	                    cwd on it, each Mount whose root or mountpoint it is,
//	                    and its superblock if it is s_root
//	Inode (i_count)     each positive dentry naming it
//	Mount (mnt_count)   its namespace while attached, each child mount, each
//	                    File and each task root and cwd on it
//	File (f_count)      each descriptor slot pointing at it
//	Superblock          each Mount of it (s_active)
//	MountNamespace      each task in it
//
// Releasing a path drops the dentry before the mount. An unused dentry stays
// cached while it is hashed and positive; the last reference of an unhashed
// one frees it, dropping its inode. The last reference of an inode evicts it
// when its nlink is 0 — "this reference is dropped when nlink reaches 0" is
// the whole orphan story. Kernel.Shutdown releases everything a clean
// poweroff would and reports what is left as leaks.
//
// # Invariants
//
// Kernel.CheckInvariants returns every violation by name; tests run it after
// each step. Between system calls:
//
//	V1   a non-directory's nlink equals the directory entries naming it
//	V2   an inode with nlink > 0 is named by some entry (or is the root, or a
//	     removed directory: btrfs keeps a deleted subvolume's root at nlink 1)
//	V3   every hashed dentry matches its parent directory's entry
//	V4   no positive dentry names a freed inode
//	V5   each dentry's d_count equals the references its owners account for
//	V6   each inode's i_count equals the dentries naming it
//	V7   each mount's mnt_count equals the references its owners account for
//	V8   each file's f_count equals the descriptors pointing at it
//	V9   each superblock's active count equals its mounts
//	V10  no in-core inode has nlink 0 and i_count 0 (it must have been evicted)
//	V11  no unused unhashed or negative dentry survives
//	V12  I_LINKABLE implies nlink 0
//	V13  s_remove_count equals the in-core inodes with nlink 0
//	V14  no i_rwsem is held between system calls
//	V15  each mount namespace's count equals the tasks that hold it
//	     themselves, plus the references the namespace operations' objects
//	     hold (nsproxies), plus the open /proc/PID/ns/mnt entries
//	V16  each fs_struct's count equals the tasks using it (CLONE_FS)
//	V17  each files_struct's count equals the tasks using it (CLONE_FILES)
//	V18  each inode's alias list (i_dentry) holds exactly the dentries
//	     naming it, and each of them is marked a directory one can look
//	     up in (DCACHE_DIRECTORY_TYPE) exactly when its inode is one, and
//	     as revalidating its children exactly when its inode's operations
//	     do (Revalidater)
//	V19  the mount stacks the simulator keeps to cross stacked mounts in
//	     one step (mountstack.go) are exactly the chains of mounts on
//	     mounts' roots
//
// Packages above vfs add their own checks (Kernel.AddChecker: nsproxy's
// N1–N3) and objects (Kernel.Track: an Object is leak-checked like the
// kernel's own).
//
// V1–V3 need the filesystem's DirentWalker, and are not checked on a
// superblock that forced itself read-only after an error (ForceReadOnly);
// filesystems add their own (tmpfs: T1–T3) through SuperChecker.
//
// # Lock order
//
// The simulated kernel is single-threaded Go code: a Kernel is not safe for
// concurrent use, and nothing in it starts a goroutine. Concurrency between
// simulated tasks is modelled by the locks the kernel takes on these paths,
// which are explicit calls (Kernel.InodeLock, lockRename, Kernel.Acquire)
// that a Scheduler (Kernel.SetScheduler; the race explorer's) can turn into
// switch points. Their order, as in Linux:
//
//	s_vfs_rename_mutex (lock_rename, cross-directory renames only)
//	  parent directory i_rwsem (ancestor first)
//	    victim / source inode i_rwsem (vfs_unlink, vfs_link, vfs_rename)
//	      filesystem locks (ext4sim: journal handle, s_orphan_lock)
//
// The path walk takes a directory's i_rwsem shared for a slow lookup and
// drops it before moving on. do_linkat has a preemption point between the
// source lookup and vfs_link: the window of the 2007 link/unlink race.
//
// # Divergences from Linux
//
//   - Negative dentries are never cached; there is no LRU and no memory
//     pressure. Unused dentries and inodes stay cached until unmount or
//     Kernel.DropCaches.
//   - The RCU walk (LOOKUP_RCU) covers the components before the last
//     only, and never fails over to ref-walk for a seqcount retry: nothing
//     runs in the middle of it (namei.go's nameidata). It leaves RCU mode
//     at a cache miss, a symlink, "..", or a revalidating directory, as
//     Linux's may when d_revalidate or the lookup would block.
//   - One uid and gid per credential; no user namespaces, no ACLs, no LSMs,
//     no quotas, no delegations, no fsnotify, no idmapped mounts, no mount
//     propagation.
//   - Tasks are single-threaded processes; clone shares the fs_struct
//     (CLONE_FS) and the descriptor table (CLONE_FILES) and nothing else;
//     no exec, no signals (a write to a reader-less fifo returns EPIPE
//     without SIGPIPE). Namespaces other than the mount namespace are
//     package nsproxy's (Kernel.SetNamespaceOps); without it there is one
//     mount namespace and CLONE_NEW* flags are EINVAL.
//   - Every mount is private: no propagation (MS_SHARED, MS_SLAVE) between
//     mounts or namespaces; mountinfo shows no shared:/master: fields.
//   - A blocking operation that would wait for another task (a fifo opened
//     without O_NONBLOCK and without a partner, a blocking read of an empty
//     fifo, a blocking write to a full one) returns EINTR, as a signal would
//     make it, unless a Scheduler is installed.
//   - The fifo buffer holds PipeCapacity bytes, counted in bytes rather than
//     page slots.
//   - procfs has only /proc/self, /proc/<pid>/cwd, /proc/<pid>/fd and
//     /proc/<pid>/ns; the mount tables are Task.MountInfo (/proc/mounts)
//     and Task.Mountinfo (/proc/self/mountinfo). Mount ids are never reused
//     (Linux takes the lowest free one), so they are compared by label.
//   - A string with a NUL in it, where a system call takes a C string (a
//     path, a symlink's target, mount's strings), is EINVAL before the
//     call: what Go's syscall package answers on the real kernel, where C
//     would see the string cut at the NUL.
//   - Of the sysctls that limit, fs.mount-max (Options.MountMax, ENOSPC)
//     and fs.nr_open exist.
//   - A stack of mounts on one directory (each on the root of the one
//     below) is crossed in one step, where fs/namei.c:traverse_mounts and
//     follow_dotdot climb it one mount at a time: the simulator keeps each
//     stack's bottom and top (mountstack.go, invariant V19). Walks end
//     where Linux's do (TestStackedMountsWalkLikeLinux); only the cost
//     differs, so stacking N mounts is linear, not quadratic.
//   - Of the resource limits only RLIMIT_NOFILE exists (soft 1024, hard
//     fs.nr_open to start with; see Task.Setrlimit).
//   - tmpfs does not model size= (no page accounting against a limit).
//   - Directory listing order of tmpfs follows 6.18 (newest first) in every
//     era.
//   - Timestamps come from a logical clock that advances 1 ms per metadata
//     operation.
//   - i_generation (Inode.Generation, which file handles carry): tmpfs's
//     shmem_get_inode draws it at random (get_random_u32()); so does the
//     simulator, from Kernel.GetRandomU32, a deterministic generator
//     seeded by Options.RandomSeed (a script.Machine gives each kernel it
//     boots another seed). ext4sim and btrfssim say what they do.
//   - A disconnected dentry (an inode opened by handle that no dentry
//     named) is freed with its last reference, not kept on s_roots; the
//     next decoding makes an identical one. Linux pins every named tmpfs
//     dentry; the simulator's DropCaches frees unused ones, so tmpfs finds
//     a named inode's dentry again by its newest name (tmpfs_export.go).
//   - AT_HANDLE_MNT_ID_UNIQUE gives the mount id (the simulator never
//     reuses one), not Linux's separate 64-bit counter.
//
// # Where to start reading
//
// link.go (do_linkat, do_kern_linkat, vfs_link) is the heart of the matter;
// namei.go is the path walk it depends on; dentry.go and inode.go hold the
// lifetime rules; filesystem.go is the contract a filesystem implements, and
// tmpfs.go its reference implementation. The transcripts in testdata/ walk
// through the stories above step by step.
package vfs
