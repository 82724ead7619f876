// Package ckpt models the checkpoint and restart of open, unlinked files:
// Matt Helsley's 2011 series (seed patches 04, 05, 07–10) as posted, with
// its bugs fixed, and ported to today's kernel. A container's tasks are
// checkpointed into an Image — credentials, fs_structs, descriptor tables
// and open files, shared objects once — and restarted from it. A file
// whose dentry is d_unlinked is first given a name again ("relinked") at
// <mount root>/<s_relink_dir or lost+found>/checkpoint-<crid>/relinked-<n>,
// so that a backup or snapshot taken after the checkpoint holds its
// contents without copying them (the cover letter's argument: the IO is
// independent of the file's size); the restart opens that name and unlinks
// it once the whole restart succeeded.
//
// Importing the package adds the ops checkpoint, kill, restart, image,
// backup and migrate to the op language (script), and a checkpoint daemon
// to every kernel a script.Machine boots (Daemon): a root task of the
// initial namespace that is "current" for the seed's code. Between kill and restart a script's
// ops run as a clone of the daemon (Inspector), so that it can look at
// what a checkpoint or a failed restart left.
//
// # Kernel correspondence
//
//	Checkpoint                    kernel/checkpoint/sys.c:sys_checkpoint
//	Restart                       kernel/checkpoint/sys.c:sys_restart
//	ctx                           struct ckpt_ctx (crid, unique_name_count,
//	                              err_deferq)
//	deferqueue                    kernel/deferqueue.c
//	ctx.checkpointFile            fs/checkpoint.c:checkpoint_file_common with
//	                              generic_file_checkpoint / pipe_file_checkpoint
//	ctx.checkpointFileLinks       fs/namei.c:checkpoint_file_links (patch 04)
//	ctx.checkpointFileRelink      fs/namei.c:checkpoint_file_relink (patches 04, 09)
//	ctx.checkpointFillRelinkFname fs/namei.c:checkpoint_fill_relink_fname (04, 07)
//	ctx.checkRelinkReachesMount   none: the fixed code's overmount check
//	                              (kern_path of the relink name's mount root
//	                              and relink directory)
//	ctx.checkNameReachesFile      none: the same check of a file that keeps
//	                              its name (kern_path of checkpoint_fname's)
//	checkpointable                checkpoint_file's "f_op lacks checkpoint"
//	ctx.checkpointMakeRelinkCollection
//	                              fs/namei.c:checkpoint_make_relink_collection
//	                              (04, 10)
//	kernelOops                    an oops in the checkpointer's context
//	                              (kern_setns of a detached mount's NULL
//	                              mnt_ns, patch 09)
//	ctx.queueRm, removeAll        checkpoint_rm_relink_collection's "rm -rf" (10)
//	restorer.restoreOpenFname     fs/checkpoint.c:restore_open_fname (04, 05)
//	deferred unlink entries       restore_dq_unlink / restore_dq_dont_unlink
//	vfs.Task.KernLinkat           fs/namei.c:do_kern_linkat (patch 03)
//	vfs.Task.KernPath             fs/namei.c:kern_path
//	vfs.Task.KernSetns            kernel/nsproxy.c:kern_setns (patch 09)
//
// The criu strategy models CRIU 4.2's userspace code (criu/files-reg.c
// unless noted), the handle strategy fs/fhandle.c through vfs:
//
//	ctx.criuCheckPathRemap        check_path_remap
//	ctx.criuCheckOvermounted      criu/mount.c:mnt_is_overmounted's refusal
//	ctx.dumpLinkedRemap           dump_linked_remap, create_link_remap
//	trimLastParent                trim_last_parent
//	ctx.dumpGhostRemap            dump_ghost_remap, dump_ghost_file
//	ctx.readContents, readData    copy_file_to_chunks, copy_file
//	errDeferq (criu)              delete_link_remaps, try_clean_remaps
//	restorer.prepareRemaps        prepare_remaps, open_remap_ghost
//	restorer.createGhost          create_ghost, create_ghost_dentry,
//	                              mkreg_ghost, ghost_apply_metadata
//	restorer.mkdirP               criu/util.c:mkdirpat
//	restorer.openPath             open_path
//	restorer.rfiRemap             rfi_remap
//	restorer.makeParentDirs       make_parent_dirs_if_need, rm_parent_dirs
//	restorer.validate             validate_file and open_path's mode check
//	ctx.handleRemap               name_to_handle_at(2) (vfs.Task.NameToHandleAt)
//	restorer.openByHandle         open_by_handle_at(2) (vfs.Task.OpenByHandleAt)
//
// # Eras and strategies
//
//	relink2011 + relink   the seed as posted: the capability check is
//	                      capable(CAP_DAC_OVERRIDE|CAP_DAC_READ_SEARCH),
//	                      i.e. capable(3), CAP_FOWNER (plus CAP_SYS_ADMIN;
//	                      kern_setns then needs CAP_SYS_CHROOT too, as
//	                      mntns_install does, in every era);
//	                      an open removed directory fails the checkpoint
//	                      with vfs_link's EPERM; a filesystem without the
//	                      relink directory (tmpfs, btrfs: no lost+found)
//	                      fails with ENOENT; the checkpointer's root and
//	                      working directory stay where kern_setns's
//	                      mntns_install put them; the empty
//	                      checkpoint-<crid> directory stays after a
//	                      successful restart. With something mounted on
//	                      the file's mount root or relink directory the
//	                      relinked name (a d_path string) is looked up in
//	                      the mount on top: the collection directory is
//	                      made there (ENOENT where it has no relink
//	                      directory), do_linkat fails with EXDEV, and the
//	                      rm -rf of the same string removes it (C1 holds).
//	                      A file on a detached mount (umount -l, or its
//	                      namespace gone) oopses in kern_setns, whose
//	                      mntns_install dereferences the mount's NULL
//	                      mnt_ns: err_deferq never runs, so files relinked
//	                      before it stay relinked (C1 does not hold).
//	relink2011-fixed      the same code with those bugs fixed: each
//	                      capability checked, a removed directory recreated
//	                      empty at restart and removed again, root and
//	                      working directory restored, the collection
//	                      directory removed after a successful restart; an
//	                      overmounted mount root or relink directory fails
//	                      the checkpoint with EBUSY, and a detached mount
//	                      with EINVAL, before anything is made (our choice:
//	                      checkRelinkReachesMount); so does a file that
//	                      keeps its name when that name, looked up from
//	                      the checkpointer's root, leads to another file
//	                      (something mounted on it or above it since it
//	                      was opened: EBUSY; a name that no longer
//	                      resolves: the lookup's errno), where the seed's
//	                      restart silently opens whatever the name leads
//	                      to (checkNameReachesFile). The err_deferq rm -rf
//	                      of a collection directory made in another mount
//	                      namespace runs in that namespace (kern_setns
//	                      again); the seed's runs its string in the
//	                      checkpointer's root, which relink2011 happens to
//	                      leave in that namespace.
//	upstream + relink     the seed's calls on today's kernel: vfs_link
//	                      refuses an nlink-0 inode (ENOENT), so a checkpoint
//	                      with an orphan fails; overmounts and detached
//	                      mounts as under relink2011.
//	upstream + relink-upstream
//	                      the port: every fix above, the orphan marked
//	                      I_LINKABLE before do_kern_linkat (today's
//	                      ext4_link and btrfs_link take it off their orphan
//	                      lists), a missing relink directory made; an
//	                      O_TMPFILE file still linkable at checkpoint is
//	                      linkable again after restart.
//
//	upstream + criu       CRIU's userspace algorithm (criu/files-reg.c
//	                      at 2cf8f13, CRIU 4.2; ../shared/reference/criu.md),
//	                      since today's vfs_link refuses to link an inode
//	                      with no link left: a file with nlink 0 becomes a
//	                      ghost — its contents in the image (raw under
//	                      12 KiB, else its data extents found with
//	                      SEEK_DATA/SEEK_HOLE), one per inode, refused
//	                      above the ghost limit (1 MiB of allocated bytes
//	                      by default) — and comes back as a new inode made
//	                      at <path>.cr.<id>.ghost (a directory at its
//	                      path); a file with links whose link text
//	                      ("... (deleted)") no longer resolves gets a hard
//	                      link link_remap.<id> beside its old name (or in
//	                      the nearest existing ancestor), only with
//	                      link-remap=1; a link text that resolves to
//	                      another inode fails the dump. The restore links
//	                      each remap back to the original name (its
//	                      missing parents made), or to <name>.cr_link when
//	                      the name is taken, opens it, checks size and
//	                      mode, and unlinks it; link-remaps are removed
//	                      after a restore that succeeded and kept after one
//	                      that failed, ghosts removed either way; a failed
//	                      dump removes the link-remaps it made. An
//	                      O_TMPFILE file comes back as a plain unlinked
//	                      file, no longer linkable.
//	upstream + handle     name_to_handle_at of each unlinked file at
//	                      checkpoint, open_by_handle_at at restart: the
//	                      handle finds the inode only while something still
//	                      holds it (ESTALE after kill, and on another
//	                      machine: ext4 and tmpfs draw generations at
//	                      random; on a fresh btrfs, whose generation is the
//	                      transaction id, it can name another file).
//	any era + copy        the cover letter's first attempt: every byte of
//	                      an unlinked file (holes read as zeros) into the
//	                      image, one copy per inode, written at restart
//	                      into <path>.copy-<id>, opened and unlinked: a new
//	                      inode, so a write no longer reaches the file's
//	                      other names.
//
// # Between checkpoint and restart
//
// The ops backup copy|snapshot -> B and migrate B|shared (migrate.go)
// model what the cover letter argues about: a backup copy walks the
// filesystem by name (data extents, hard links kept), a btrfs snapshot
// copies nothing but holds only what has a name (fact 22), and migrate
// boots a new machine (a new Kernel) with the copy restored into a fresh
// filesystem, the snapshot mounted, or the old device itself (shared
// storage). Costs (costs.go, relinksim costs) runs one workload through
// every strategy and transport and measures each with the kernel's
// counters.
//
// # Invariants
//
//	C1  a failed checkpoint leaves no collection directory it made, and
//	    every relinked file open-unlinked again (err_deferq's rm -rf);
//	    not after the seed's oops (a file on a detached mount)
//	C2  a failed restart leaves every relinked name in place and no
//	    restored task; a retry can succeed
//	C3  a successful restart leaves no relinked name (relink2011 leaves
//	    its empty checkpoint-<crid> directory)
//	C4  a checkpoint and a restart of relinked files move no file data
//	    (the IO counters' data bytes are 0)
//
// # Divergences and limits
//
//   - The criu strategy's failures that CRIU reports with a message and no
//     errno are *CRIUError values carrying CRIU's message and an errno of
//     our choice: EFBIG for the ghost limit, EPERM for a link-remap
//     without link-remap=1, EEXIST for a name reused at dump ("Unaccessible
//     path opened"), EBUSY for an overmounted mount, EINVAL for a failed
//     size or mode check at restore. CRIU's ghost copy uses FIEMAP by
//     default (--ghost-fiemap) and falls back to SEEK_DATA/SEEK_HOLE; the
//     model always seeks, which gives the same extents for written data.
//     Times are not restored on ghosts (ghost_apply_metadata sets them);
//     a ghost or remap on a read-only mount fails the restore with EROFS
//     where CRIU remounts it writable for the while
//     (try_remount_writable). CRIU runs as a process with its own ids; the
//     model's link-remap ids number after the image's files, and ghost ids
//     count from 1 (the recordings normalize both).
//   - A backup copy holds everything it copied in memory, and Costs caps
//     a cell at CostMemoryCap bytes of copied data (a row says "not run");
//     the copy strategy refuses a checkpoint whose copies would hold more
//     than MaxCopyBytes (EFBIG).
//   - The criu strategy refuses a file on a mount of another mount
//     namespace (EOPNOTSUPP): CRIU dumps and restores the namespaces and
//     resolves each file in its own, which the model's restart, in the
//     checkpointer's namespaces only, cannot do (zdtm's mntns_link_remap
//     and mntns_link_ghost fail for every strategy here).
//   - The checkpointer is a daemon task, not a task of the container; the
//     container is every task of the script. Tasks are restarted as clones
//     of the daemon, in its root (no chroot) and initial namespace: a file
//     whose mount exists only in another namespace is relinked there (as
//     the seed does with kern_setns) but reopened in the initial one. The
//     fixed code and the port refuse such a file that still has its name
//     (its name, looked up from the daemon's root, does not lead back to
//     it: ENOENT or EBUSY); relink2011 records it and its restart opens
//     whatever the name leads to in the initial namespace.
//   - f_version is not modelled (recorded as 0).
//   - A restored file's name is the relinked one: readlink of its
//     /proc/self/fd link shows ".../relinked-<n> (deleted)" after the
//     restart, and the collection directory, removed while the file keeps
//     it pinned, is an orphan until the file is closed.
//   - The user-mode helper's "rm -rf" runs synchronously, as the
//     checkpointer.
//   - Files whose f_op had no .checkpoint in the seed's tree fail the
//     checkpoint with EBADF, in every era; of what the model has, that is
//     proc's files (an open /proc/PID/ns entry, which would be reopened by
//     a name holding the old pid). Relinking writes to the file's
//     filesystem: an open-unlinked file on a read-only mount fails the
//     checkpoint (EROFS), as does a relink directory that is not a
//     directory (ENOTDIR); C1 holds.
//   - Pids are not restored: the restart's tasks are new clones of the
//     daemon (the seed restarted a container into a new pid namespace,
//     which the model does not have), so a /proc/<pid> name shows the
//     new pid.
//   - Tasks come back in the daemon's namespaces, and files are reopened
//     there: a checkpoint is restartable as it was only when every task
//     shares the daemon's nsproxy and every file is on a mount of its
//     mount namespace (the properties cut only there).
//   - kill closes every descriptor, as exit does: the last close of a file
//     has its effects then, not at the later close the script makes (a
//     btrfs file truncated to zero and written since is written back by
//     btrfs_release_file, which SEEK_DATA from a negative offset can
//     tell).
//   - The seed's oops (kern_setns of a detached mount) is printed to the
//     kernel log and answered with EFAULT, standing for the SIGKILL the
//     caller would get instead of a return; the checkpoint daemon lives on
//     (the real checkpointer dies, with its nsproxy references). The op
//     language has no umount -l: transcripts detach a mount by ending its
//     namespace (put_mnt_ns's umount_tree detaches it the same way).
//   - The restart opens relinked names by string and checks no mount: a
//     mount made on the file's mount root (or relink directory) between
//     checkpoint and restart fails the restart (ENOENT on a filesystem
//     without the name; C2 holds, and a retry after the umount succeeds),
//     or opens what the mount on top has at that name.
//   - While a restored file keeps its removed collection directory
//     pinned, that directory counts among the superblock's pending
//     removals (s_remove_count): a read-only remount is refused (EBUSY)
//     until the file is closed, even once the file has a name again.
//   - A restored file's dentry is the relinked name, in the collection
//     directory: the directories above its old dentry are no longer
//     pinned by it, so a removed one is freed at the restart where S
//     keeps it on the orphan list until the file is closed.
//   - After a restart the orphan list (ext4, LIFO) holds the restored
//     files in the reverse of the order the restart unlinked them (image
//     order), then the collection directory and a relink directory the
//     port made, pinned by them; btrfs's orphan items stay in inode order.
//     Scripts compare orphans as a set (ckpt/property_test.go).
//   - The directories a checkpoint makes take inode numbers, even when it
//     fails and removes them: tmpfs (get_next_ino) and btrfs (objectid
//     counter) only count up, and ext4 gives the lowest free number, which
//     a pinned collection directory holds. Inodes allocated after the
//     checkpoint may have other numbers than without it (the ino op, an
//     O_TMPFILE file's "#<ino>" name); an inode that lived at the
//     checkpoint keeps its number.
//   - A removed directory comes back made and removed again (rmdir): nlink
//     0 and an empty removed directory's size (ext4: 0, where one renamed
//     over keeps its size; a deleted btrfs subvolume's root keeps nlink
//     1). All open files of one removed directory share the one
//     directory made again.
//   - On btrfs, a file unlinked in a subvolume other than the mount's
//     fails the checkpoint with EXDEV: the relink directory is the mount
//     root's, and btrfs_link refuses a link across subvolumes (C1 holds;
//     the tasks run on).
//   - The relink directories the port made (lost+found on tmpfs and
//     btrfs) are recorded in the image (its made records): a successful
//     restart removes them, here or after a reboot, unless they hold
//     something else by then.
package ckpt
