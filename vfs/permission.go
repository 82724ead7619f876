package vfs

// Access masks for permission checks (include/linux/fs.h).
const (
	MAY_EXEC  = 1
	MAY_WRITE = 2
	MAY_READ  = 4
)

// GenericPermission models fs/namei.c:generic_permission: the owner, group
// or other bits, then the capability overrides. Filesystems with their own
// permission operation (Permissioner) end with it.
//
// CAP_DAC_READ_SEARCH allows reading any file and searching (and reading)
// any directory; CAP_DAC_OVERRIDE allows everything on directories, and on
// files everything except executing a file with no execute bit at all.
func GenericPermission(c *Cred, i *Inode, mask int) error {
	mode := int(i.Mode)
	switch {
	case c.UID == i.UID:
		mode >>= 6
	case c.InGroup(i.GID):
		mode >>= 3
	}
	if mask&^mode&7 == 0 {
		return nil
	}
	if i.Mode.IsDir() {
		if mask&MAY_WRITE == 0 && c.Capable(CAP_DAC_READ_SEARCH) {
			return nil
		}
		if c.Capable(CAP_DAC_OVERRIDE) {
			return nil
		}
		return EACCES
	}
	if mask == MAY_READ && c.Capable(CAP_DAC_READ_SEARCH) {
		return nil
	}
	if (mask&MAY_EXEC == 0 || i.Mode&0o111 != 0) && c.Capable(CAP_DAC_OVERRIDE) {
		return nil
	}
	return EACCES
}

// inodePermission models fs/namei.c:inode_permission: writing to an inode
// of a read-only superblock gives EROFS (for files, directories and
// symlinks), to an immutable inode EPERM, then the filesystem's permission
// operation or generic_permission.
func inodePermission(c *Cred, i *Inode, mask int) error {
	if mask&MAY_WRITE != 0 {
		if i.Sb.readonly && (i.Mode.IsRegular() || i.Mode.IsDir() || i.Mode.IsSymlink()) {
			return EROFS
		}
		if i.Flags&S_IMMUTABLE != 0 {
			return EPERM
		}
	}
	if p, ok := i.Ops.(Permissioner); ok {
		return p.Permission(c, i, mask)
	}
	return GenericPermission(c, i, mask)
}

// permission checks mask on i for the task's current credentials.
func (t *Task) permission(i *Inode, mask int) error { return inodePermission(t.cred, i, mask) }

// ownerOrCapable models fs/inode.c:inode_owner_or_capable.
func ownerOrCapable(c *Cred, i *Inode) bool { return c.UID == i.UID || c.Capable(CAP_FOWNER) }

// checkSticky models include/linux/fs.h:check_sticky: in a sticky directory
// only the file's owner, the directory's owner or CAP_FOWNER may delete or
// rename entries. It reports true when the operation is refused.
func checkSticky(c *Cred, dir, inode *Inode) bool {
	if dir.Mode&S_ISVTX == 0 {
		return false
	}
	return c.UID != inode.UID && c.UID != dir.UID && !c.Capable(CAP_FOWNER)
}

// mayCreate models fs/namei.c:may_create: the new entry must not exist, the
// directory must not have been removed, and the caller needs write and
// search permission on it.
func (t *Task) mayCreate(dir *Inode, child *Dentry) error {
	if child.inode != nil {
		return EEXIST
	}
	if dir.IsDeadDir() {
		return ENOENT
	}
	return t.permission(dir, MAY_WRITE|MAY_EXEC)
}

// mayDelete models fs/namei.c:may_delete for unlink, rmdir and the rename
// victims.
func (t *Task) mayDelete(dir *Inode, victim *Dentry, isDir bool) error {
	if victim.inode == nil {
		return ENOENT
	}
	if victim.parent.inode != dir {
		Bug("may_delete: %s is not in the directory", victim.describe())
	}
	if err := t.permission(dir, MAY_WRITE|MAY_EXEC); err != nil {
		return err
	}
	inode := victim.inode
	if dir.Flags&S_APPEND != 0 {
		return EPERM
	}
	if checkSticky(t.cred, dir, inode) || inode.Flags&(S_APPEND|S_IMMUTABLE) != 0 {
		return EPERM
	}
	if isDir {
		if !inode.Mode.IsDir() {
			return ENOTDIR
		}
		if victim.IsRoot() {
			return EBUSY
		}
	} else if inode.Mode.IsDir() {
		return EISDIR
	}
	if dir.IsDeadDir() {
		return ENOENT
	}
	return nil
}

// isLocalMountpoint models fs/namespace.c:is_local_mountpoint: something is
// mounted on d in the task's namespace.
func (t *Task) isLocalMountpoint(d *Dentry) bool {
	if d.mounted == 0 {
		return false
	}
	for _, m := range t.mntns.mounts {
		if m.mountpoint == d {
			return true
		}
	}
	return false
}
