package vfs

// This file is the contract between the generic VFS and a filesystem
// implementation: the analogue of struct file_system_type,
// struct super_operations and struct inode_operations.
//
// Linux's operation tables are structs of optional function pointers; here
// each operation is a small optional interface, io/fs style. The VFS asks an
// inode's Ops (or a superblock's Ops) for the interface it needs, and a
// missing one gives the errno Linux gives for a NULL pointer: no ->link is
// EPERM, no ->create is EACCES, no ->tmpfile is EOPNOTSUPP, and so on.
//
// Every method runs on behalf of Kernel.Current(), whose credentials
// (Task.Cred) own new inodes. The VFS has already done the generic checks
// (permissions, existence, read-only mounts, the era's nlink rule) and holds
// the locks Linux holds at that point, listed under Preconditions.

// FilesystemType is analogous to Linux's struct file_system_type.
type FilesystemType interface {
	// Name is the type's name as given to mount(2): "tmpfs", "ext4".
	Name() string

	// RequiresDevice reports FS_REQUIRES_DEV: the mount source names a
	// block device (added with Kernel.AddBlockDevice), and every mount of
	// one device shares one superblock.
	RequiresDevice() bool

	// FillSuper sets up a new superblock (models the fill_super callback):
	// it parses data, the filesystem-specific options, creates the root
	// inode and installs the root dentry with sb.SetRoot(MakeRoot(inode)),
	// and sets sb.Ops.
	//
	// Errors:
	//   - EINVAL: data holds an option the filesystem rejects.
	//   - Any errno reading the device produces.
	//
	// Preconditions: sb is new; it is never called for a superblock reused
	// by a second mount of the same device.
	FillSuper(sb *Superblock, data string) error
}

// MixedReadOnlyMounter is implemented by a FilesystemType whose second
// mount of a mounted device may ask for the other read-only state without
// EBUSY (btrfs since 0723a0473fb4, "allow mounting btrfs subvolumes with
// different ro/rw options"; verified on 6.18): a read-only request on a
// read-write filesystem is ignored (the new mount is read-write), and a
// read-write request on a read-only one makes the filesystem read-write
// again (btrfs_reconfigure_for_mount), as a remount would.
type MixedReadOnlyMounter interface {
	// MixedReadOnly reports that the filesystem takes the mixed mounts.
	MixedReadOnly() bool
}

// OptionChecker is implemented by a FilesystemType whose options the
// kernel parses before it looks for the superblock (the fs_context API's
// parse_param, ahead of get_tree): a second mount of a mounted device does
// not use the options, but an invalid one still fails the mount.
type OptionChecker interface {
	// CheckOptions parses data as FillSuper would, without applying it.
	//
	// Errors:
	//   - EINVAL: data holds an option the filesystem rejects.
	CheckOptions(k *Kernel, data string) error
}

// InodeEvicter is the optional super operation evict_inode.
type InodeEvicter interface {
	// EvictInode is called when the last reference of an inode goes and the
	// inode is to be dropped: because its nlink is 0 (the filesystem frees
	// it: truncates it, releases its number, takes it off any orphan list)
	// or because the superblock is being killed (nlink > 0: the filesystem
	// forgets only the in-core copy).
	//
	// Preconditions: i.Refs() == 0; I_FREEING is set.
	EvictInode(i *Inode)
}

// SuperKiller is the optional super operation put_super / kill_sb.
type SuperKiller interface {
	// KillSuper runs when the superblock's last mount goes, after its
	// dentries were freed and its unused inodes evicted.
	KillSuper(sb *Superblock)
}

// OptionShower is the optional super operation show_options.
type OptionShower interface {
	// ShowOptions returns the filesystem-specific part of the options field
	// of /proc/mounts, each option preceded by a comma.
	ShowOptions(sb *Superblock) string
}

// MountOptionShower is an OptionShower whose options depend on the mount
// they are shown for (btrfs_show_options is given the mount's root dentry
// and shows the subvolume it is in): /proc/mounts and mountinfo use it
// when the filesystem has it.
type MountOptionShower interface {
	ShowMountOptions(sb *Superblock, root *Dentry) string
}

// Remounter is the optional super operation remount_fs / reconfigure.
type Remounter interface {
	// Remount applies data to a mounted superblock.
	//
	// Errors:
	//   - EINVAL: an option cannot be changed on remount.
	Remount(sb *Superblock, flags MountFlags, data string) error
}

// Lookuper is the inode operation lookup.
type Lookuper interface {
	// Lookup finds name in directory dir and returns its inode with a
	// reference the caller now owns.
	//
	// Errors:
	//   - ENOENT: dir has no entry name.
	//   - ENAMETOOLONG: name is longer than the filesystem allows.
	//
	// Preconditions: dir's i_rwsem is held (shared or exclusive); name is
	// neither "." nor ".." and contains no '/'.
	Lookup(dir *Inode, name string) (*Inode, error)
}

// Creator is the inode operation create (regular files).
type Creator interface {
	// Create makes a regular file for the negative dentry d in dir and
	// instantiates d with it (Dentry.Instantiate).
	//
	// Errors:
	//   - ENOSPC, EDQUOT: no room for the inode or the entry.
	//   - EMLINK: dir cannot take another entry.
	//
	// Preconditions: dir's i_rwsem is held exclusively; d is negative and
	// unhashed; the caller has checked permissions.
	Create(dir *Inode, d *Dentry, mode FileMode, excl bool) error
}

// Linker is the inode operation link.
type Linker interface {
	// Link adds the name d in dir for the inode of old, raising its nlink,
	// and instantiates d with the inode (taking a new reference).
	//
	// Errors:
	//   - EMLINK: the inode's nlink is at the filesystem's limit.
	//   - ENOENT: the filesystem refuses an inode whose nlink is 0 (ext3/4
	//     from 2007 to 2.6.38).
	//   - EXDEV: the filesystem refuses the pair (btrfs across subvolumes).
	//   - ENOSPC: no room for the entry.
	//
	// Preconditions: dir's i_rwsem and the inode's i_rwsem are held; d is
	// negative; the VFS has applied its era's nlink rule and checked that
	// the inode is not a directory and is on dir's superblock.
	Link(old *Dentry, dir *Inode, d *Dentry) error
}

// Relinker is the inode operation relink added by the 2011 series (seed
// patch 01). Under the Relink2011 era vfs_link calls Relink instead of Link
// when the directory's operations provide it.
type Relinker interface {
	// Relink is Link that may also bring back an inode whose nlink is 0,
	// taking it off the filesystem's orphan list once the new entry exists.
	//
	// Errors: as Link, minus the nlink-0 ENOENT.
	//
	// Preconditions: as Link.
	Relink(old *Dentry, dir *Inode, d *Dentry) error
}

// Unlinker is the inode operation unlink.
type Unlinker interface {
	// Unlink removes the entry d from dir and drops the inode's nlink; a
	// filesystem with an orphan list puts the inode on it when nlink
	// reaches 0 while the inode is still in use.
	//
	// Errors:
	//   - EIO, ENOSPC: the filesystem could not record the change.
	//
	// Preconditions: dir's and the victim's i_rwsem are held; d is positive
	// and not a directory; nothing is mounted on d.
	Unlink(dir *Inode, d *Dentry) error
}

// Mkdirer is the inode operation mkdir.
type Mkdirer interface {
	// Mkdir makes a directory for the negative dentry d and instantiates d.
	//
	// Errors:
	//   - EMLINK: dir has as many subdirectories as it may.
	//   - ENOSPC, EDQUOT.
	//
	// Preconditions: dir's i_rwsem is held; d is negative.
	Mkdir(dir *Inode, d *Dentry, mode FileMode) error
}

// Rmdirer is the inode operation rmdir.
type Rmdirer interface {
	// Rmdir removes the empty directory d from dir.
	//
	// Errors:
	//   - ENOTEMPTY: the directory has entries.
	//
	// Preconditions: dir's and the victim's i_rwsem are held; d is a
	// positive directory dentry, not a mountpoint.
	Rmdir(dir *Inode, d *Dentry) error
}

// Renamer is the inode operation rename.
type Renamer interface {
	// Rename moves the entry oldD of oldDir to the name newD in newDir. If
	// newD is positive its inode is replaced: its nlink drops (and it may
	// become an orphan). flags may hold RENAME_NOREPLACE and
	// RENAME_EXCHANGE. The VFS moves the dentries afterwards (d_move).
	//
	// Errors:
	//   - ENOTEMPTY: newD is a non-empty directory.
	//   - EMLINK: moving a directory would overflow newDir's nlink.
	//   - EXDEV: the filesystem refuses the pair (btrfs subvolumes).
	//   - EINVAL: flags the filesystem does not support.
	//
	// Preconditions: lock_rename holds both directories; the VFS has checked
	// permissions, type compatibility, and that no directory moves under
	// itself.
	Rename(oldDir *Inode, oldD *Dentry, newDir *Inode, newD *Dentry, flags uint) error
}

// Mknoder is the inode operation mknod (fifos, devices, sockets).
type Mknoder interface {
	// Mknod makes a special file for the negative dentry d and
	// instantiates d.
	//
	// Errors: ENOSPC, EDQUOT, EMLINK.
	//
	// Preconditions: dir's i_rwsem is held; d is negative.
	Mknod(dir *Inode, d *Dentry, mode FileMode, rdev uint32) error
}

// Symlinker is the inode operation symlink.
type Symlinker interface {
	// Symlink makes a symbolic link to target for the negative dentry d and
	// instantiates d.
	//
	// Errors:
	//   - ENAMETOOLONG: target is longer than the filesystem can store.
	//   - ENOSPC, EDQUOT.
	//
	// Preconditions: dir's i_rwsem is held; d is negative; target is not
	// empty.
	Symlink(dir *Inode, d *Dentry, target string) error
}

// Tmpfiler is the inode operation tmpfile (O_TMPFILE).
type Tmpfiler interface {
	// Tmpfile makes an unnamed regular file in dir: it allocates an inode
	// and calls d.Tmpfile(inode), which drops nlink to 0. A filesystem with
	// an orphan list puts the inode on it.
	//
	// Errors: ENOSPC, EDQUOT.
	//
	// Preconditions: the caller has write and search permission on dir; d is
	// a fresh unhashed dentry under dir.
	Tmpfile(dir *Inode, d *Dentry, mode FileMode) error
}

// Dirent is one directory entry as getdents reports it.
type Dirent struct {
	Name string
	Ino  uint64
	Type FileMode // S_IF* bits only
	// Off is the position to resume after this entry (d_off).
	Off int64
}

// DirIterator is the file operation iterate_shared for directories.
type DirIterator interface {
	// IterateDir reports dir's entries, "." and ".." included, starting at
	// position pos (0 is the beginning; other values are the Off of an
	// entry reported before), in the filesystem's order, until emit returns
	// false. Each entry's Off is the position of the entry after it.
	//
	// Preconditions: dir's i_rwsem is held shared; dir is not dead.
	IterateDir(dir *Inode, pos int64, emit func(Dirent) bool) error
}

// Iattr describes an attribute change (struct iattr).
type Iattr struct {
	Valid AttrMask
	Mode  FileMode
	UID   uint32
	GID   uint32
	Size  int64
}

// AttrMask selects the fields of an Iattr (ATTR_MODE, ...).
type AttrMask uint32

// Iattr valid bits.
const (
	ATTR_MODE AttrMask = 1 << 0
	ATTR_UID  AttrMask = 1 << 1
	ATTR_GID  AttrMask = 1 << 2
	ATTR_SIZE AttrMask = 1 << 3
)

// DirLlseeker is the file operation llseek of directories whose llseek is
// generic_file_llseek_size with filesystem-chosen limits (ext4_dir_llseek)
// rather than libfs's offset_dir_llseek.
type DirLlseeker interface {
	// DirLlseekLimits returns the maxsize and eof that
	// generic_file_llseek_size gets for dir: positions run from 0 to
	// maxsize, and SEEK_END, SEEK_DATA and SEEK_HOLE work against eof.
	DirLlseekLimits(dir *Inode) (maxsize, eof int64)
}

// SeekHoleDataer is implemented by filesystems whose llseek finds
// SEEK_DATA and SEEK_HOLE its own way (btrfs_file_llseek's
// find_desired_extent). Without it the VFS uses the page-cache walk
// (AddressSpace.SeekHoleData) after refusing a negative offset with ENXIO,
// as shmem and ext4 do.
type SeekHoleDataer interface {
	// SeekHoleData returns the position lseek(fd, off, whence) moves a
	// regular file's descriptor to, for whence SEEK_DATA or SEEK_HOLE.
	//
	// Errors: ENXIO.
	SeekHoleData(i *Inode, off int64, whence int) (int64, error)
}

// FileReleaser is the file operation release: the last reference of an
// open file is going (btrfs flushes a file truncated to zero here).
type FileReleaser interface {
	Release(f *File)
}

// TimeUpdater is the inode operation update_time, run when a write changes
// an inode's times (file_update_time; the VFS asks for it on writes to
// fifos only).
type TimeUpdater interface {
	// UpdateTime sets i's mtime and ctime to now and records them.
	//
	// Errors: EROFS (btrfs in a read-only snapshot).
	UpdateTime(i *Inode) error
}

// Permissioner is the inode operation permission, for filesystems that
// refuse more than the mode bits do (btrfs refuses writes in a read-only
// snapshot with EROFS).
type Permissioner interface {
	// Permission checks mask (MAY_READ, MAY_WRITE, MAY_EXEC) on i for c,
	// usually ending with GenericPermission. The VFS has already refused
	// writes on a read-only superblock and to an immutable inode.
	//
	// Errors: EACCES, EROFS, EPERM.
	Permission(c *Cred, i *Inode, mask int) error
}

// Setattrer is the inode operation setattr.
type Setattrer interface {
	// Setattr applies attr to the inode (a truncate when ATTR_SIZE is set).
	// Filesystems that do not provide it get SimpleSetattr.
	//
	// Errors: EFBIG, ENOSPC.
	//
	// Preconditions: the inode's i_rwsem is held; permissions are checked.
	Setattr(i *Inode, attr *Iattr) error
}

// Getattrer is the inode operation getattr.
type Getattrer interface {
	// Getattr returns st, the generic attributes, adjusted (for example
	// st_blocks for a filesystem that allocates in blocks). Linux's
	// getattr fills a struct kstat through a pointer; a value in and out
	// keeps stat(2) from allocating it.
	Getattr(i *Inode, st Stat_t) Stat_t
}

// FileattrSetter is the inode operation fileattr_set (FS_IOC_SETFLAGS).
type FileattrSetter interface {
	// FileattrSet changes the inode flags S_APPEND and S_IMMUTABLE.
	//
	// Errors: EOPNOTSUPP for flags the filesystem does not support.
	FileattrSet(i *Inode, flags InodeFlags) error
}

// SimpleSetattr models fs/libfs.c:simple_setattr: apply the change to the
// in-core inode, truncating its page cache on a size change.
func SimpleSetattr(i *Inode, attr *Iattr) error {
	if attr.Valid&ATTR_SIZE != 0 {
		if attr.Size < i.Size {
			i.Mapping.Truncate(attr.Size)
		}
		i.Size = attr.Size
		i.Touch(true, true)
	}
	if attr.Valid&ATTR_MODE != 0 {
		i.Mode = i.Mode&S_IFMT | attr.Mode&S_IALLUGO
	}
	if attr.Valid&ATTR_UID != 0 {
		i.UID = attr.UID
	}
	if attr.Valid&ATTR_GID != 0 {
		i.GID = attr.GID
	}
	i.Touch(false, true)
	return nil
}

// WriteEnder is the address-space operation write_end: it runs after the
// VFS copied data into a regular file's page cache, under the inode's lock.
// Filesystems that journal the inode's size (ext4sim) update it here.
type WriteEnder interface {
	// WriteEnd is told the range written and the size before the write;
	// i.Size already covers the new data.
	//
	// Errors: ENOSPC, EDQUOT — the write is reported failed, as when
	// ext4_write_begin cannot start a handle.
	//
	// Preconditions: i's i_rwsem is held.
	WriteEnd(i *Inode, pos int64, n int, oldSize int64) error
}

// WriteChecker is the start of a filesystem's own write_iter: checks it
// makes before the generic write copies anything, even for a zero-length
// write.
type WriteChecker interface {
	// CheckWrite decides whether a write through f may go ahead.
	//
	// Errors: EROFS (btrfs_do_write_iter once the filesystem has hit an
	// error).
	CheckWrite(f *File) error
}

// DentryDeleter is the dentry operation d_delete: asked at a dentry's last
// dput whether to free it at once rather than keep it in the dcache
// (fs/dcache.c:retain_dentry). A filesystem whose names can change under a
// cached dentry's feet uses it so the next lookup asks the filesystem.
type DentryDeleter interface {
	// DeleteDentry reports whether the unused dentry d is freed now.
	DeleteDentry(d *Dentry) bool
}

// Syncer is the super operation sync_fs.
type Syncer interface {
	// SyncFS makes everything done so far durable: ext4sim commits its
	// running journal transaction and writes it home.
	SyncFS(sb *Superblock) error
}
