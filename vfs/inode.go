package vfs

import "fmt"

// FileMode holds Linux st_mode bits: the file type (S_IFMT) and permissions.
type FileMode uint32

// File types and permission bits (include/uapi/linux/stat.h).
const (
	S_IFMT    FileMode = 0o170000
	S_IFSOCK  FileMode = 0o140000
	S_IFLNK   FileMode = 0o120000
	S_IFREG   FileMode = 0o100000
	S_IFBLK   FileMode = 0o060000
	S_IFDIR   FileMode = 0o040000
	S_IFCHR   FileMode = 0o020000
	S_IFIFO   FileMode = 0o010000
	S_ISUID   FileMode = 0o4000
	S_ISGID   FileMode = 0o2000
	S_ISVTX   FileMode = 0o1000
	S_IRWXUGO FileMode = 0o777
	S_IALLUGO FileMode = 0o7777
)

// Type returns the S_IFMT bits.
func (m FileMode) Type() FileMode { return m & S_IFMT }

// IsDir, IsRegular, IsSymlink and IsFifo test the file type.
func (m FileMode) IsDir() bool     { return m&S_IFMT == S_IFDIR }
func (m FileMode) IsRegular() bool { return m&S_IFMT == S_IFREG }
func (m FileMode) IsSymlink() bool { return m&S_IFMT == S_IFLNK }
func (m FileMode) IsFifo() bool    { return m&S_IFMT == S_IFIFO }

// TypeName returns "file", "dir", "symlink", "fifo", ... as the oracle and
// the transcripts print types.
func (m FileMode) TypeName() string {
	switch m & S_IFMT {
	case S_IFREG:
		return "file"
	case S_IFDIR:
		return "dir"
	case S_IFLNK:
		return "symlink"
	case S_IFIFO:
		return "fifo"
	case S_IFCHR:
		return "chr"
	case S_IFBLK:
		return "blk"
	case S_IFSOCK:
		return "sock"
	}
	return "other"
}

// InodeFlags are the inode's i_flags bits the VFS consults.
type InodeFlags uint32

// i_flags bits (include/linux/fs.h).
const (
	S_SYNC      InodeFlags = 1 << 0
	S_NOATIME   InodeFlags = 1 << 1
	S_APPEND    InodeFlags = 1 << 2 // chattr +a
	S_IMMUTABLE InodeFlags = 1 << 3 // chattr +i
	S_DEAD      InodeFlags = 1 << 4 // removed directory (IS_DEADDIR)
)

// InodeState is the inode's i_state.
type InodeState uint32

// i_state bits.
const (
	// I_NEW marks an inode still being set up by its filesystem.
	I_NEW InodeState = 1 << 0
	// I_FREEING marks an inode being evicted.
	I_FREEING InodeState = 1 << 1
	// I_CLEAR marks an inode whose eviction finished; nothing may use it.
	I_CLEAR InodeState = 1 << 2
	// I_LINKABLE marks an O_TMPFILE inode opened without O_EXCL that has
	// not been linked yet: upstream vfs_link lets it go from nlink 0 to 1,
	// once, and clears the bit.
	I_LINKABLE InodeState = 1 << 10
)

// Inode is analogous to Linux's struct inode: the in-core inode of one file.
//
// Filesystems create inodes with Superblock.NewInode and own everything about
// how they are stored; the VFS owns the fields it shares with every
// filesystem. Reference counting follows Linux: i_count (Ihold, Iput) counts
// in-core users — each positive dentry naming the inode holds one — and
// nlink counts directory entries. When i_count drops to zero the inode is
// evicted if nlink is 0, or stays cached otherwise. That rule is the whole
// story of the open-but-unlinked file: its dentry, held by an open file,
// holds the inode alive after the last name is gone.
//
// Differences from Linux:
//   - there is no separate hash table: the superblock keeps the list of
//     in-core inodes and the filesystem finds cached inodes itself;
//   - inodes with nlink > 0 stay cached until their superblock is killed
//     (there is no memory pressure);
//   - timestamps come from the kernel's logical clock (Kernel.Now).
type Inode struct {
	kobj

	// Sb is the superblock the inode belongs to.
	Sb *Superblock
	// Ino is the inode number.
	Ino uint64
	// Mode holds the file type and permission bits.
	Mode FileMode
	// UID and GID own the file.
	UID, GID uint32
	// Size is i_size in bytes.
	Size int64
	// Rdev is the device number of a device special file.
	Rdev uint32
	// Atime, Mtime and Ctime are nanoseconds of the logical clock.
	Atime, Mtime, Ctime int64
	// Flags holds i_flags (S_APPEND, S_IMMUTABLE, S_DEAD, ...).
	Flags InodeFlags
	// Ops holds the inode operations; see the optional interfaces in
	// filesystem.go (Lookuper, Linker, Relinker, ...). A nil or empty value
	// gives each operation its "not supported" errno.
	Ops any
	// Private is the filesystem's own per-inode data (i_private).
	Private any
	// Mapping holds a regular file's contents.
	Mapping AddressSpace
	// Link is a symlink's target (i_link).
	Link string
	// Generation is i_generation: with Ino it names the file in a file
	// handle (fhandle.go), so that a handle of a deleted file does not
	// open a new one that reuses its number. The filesystem sets it when
	// it creates or reads the inode.
	Generation uint32

	nlink uint32
	// aliases is i_dentry: the dentries naming the inode, oldest first
	// (Linux adds at the head of its list; the newest is the last here).
	aliases []*Dentry
	// aliasBuf holds the first two aliases, so that naming a file and
	// linking it once allocate no list.
	aliasBuf [2]*Dentry
	state    InodeState
	rwsem    Lock
	pipe     *pipe
	// getLink computes a symlink's target at follow time (the get_link
	// operation of procfs links). A magic link returns the path to jump to
	// (with references) and its readlink text; a dynamic one (/proc/self)
	// returns only the text.
	getLink func(t *Task) (jump *Path, text string, err error)
}

func (i *Inode) kind() string { return "inode" }

func (i *Inode) describe() string {
	return fmt.Sprintf("%s ino %d %s nlink %d", i.Sb.describe(), i.Ino, i.Mode.TypeName(), i.nlink)
}

func (i *Inode) String() string { return fmt.Sprintf("inode %d", i.Ino) }

// Nlink returns the link count (i_nlink).
func (i *Inode) Nlink() uint32 { return i.nlink }

// Refs returns i_count.
func (i *Inode) Refs() int64 { return i.refs }

// State returns i_state.
func (i *Inode) State() InodeState { return i.state }

// SetState sets bits in i_state.
func (i *Inode) SetState(s InodeState) { i.state |= s }

// ClearState clears bits in i_state.
func (i *Inode) ClearState(s InodeState) { i.state &^= s }

// IsDeadDir reports whether the inode is a removed directory (IS_DEADDIR).
func (i *Inode) IsDeadDir() bool { return i.Flags&S_DEAD != 0 }

// Freed reports whether the inode has been evicted.
func (i *Inode) Freed() bool { return i.state&I_CLEAR != 0 }

// IncNlink models fs/inode.c:inc_nlink. Raising nlink from 0 takes the inode
// off the superblock's count of unlinked-but-alive inodes; upstream it also
// warns unless the inode is I_LINKABLE, since only O_TMPFILE inodes are
// meant to come back from nlink 0.
func (i *Inode) IncNlink() {
	if i.nlink == 0 {
		if i.Sb.k.opts.Era == Upstream && i.state&I_LINKABLE == 0 {
			i.Sb.k.Printk("WARNING: inc_nlink: inode %d of %s goes from nlink 0 to 1 without I_LINKABLE", i.Ino, i.Sb.describe())
		}
		i.Sb.removeCount--
	}
	i.nlink++
}

// DropNlink models fs/inode.c:drop_nlink: nlink goes down by one, and an
// inode reaching 0 is counted in the superblock's s_remove_count.
func (i *Inode) DropNlink() {
	if i.nlink <= 0 {
		Bug("drop_nlink: inode %d of %s already has nlink 0", i.Ino, i.Sb.describe())
	}
	i.nlink--
	if i.nlink == 0 {
		i.Sb.removeCount++
	}
}

// ClearNlink models fs/inode.c:clear_nlink.
func (i *Inode) ClearNlink() {
	if i.nlink != 0 {
		i.nlink = 0
		i.Sb.removeCount++
	}
}

// SetNlink models fs/inode.c:set_nlink.
func (i *Inode) SetNlink(n uint32) {
	if n == 0 {
		i.ClearNlink()
		return
	}
	if i.nlink == 0 {
		i.Sb.removeCount--
	}
	i.nlink = n
}

// InitOwner models fs/inode.c:inode_init_owner: the new inode belongs to the
// creating credential's uid; its group is the directory's when the directory
// is setgid (and a new subdirectory inherits the setgid bit).
func (i *Inode) InitOwner(dir *Inode, mode FileMode, cred *Cred) {
	i.UID = cred.UID
	if dir != nil && dir.Mode&S_ISGID != 0 {
		i.GID = dir.GID
		if mode.IsDir() {
			mode |= S_ISGID
		}
	} else {
		i.GID = cred.GID
	}
	i.Mode = mode
}

// Touch sets the given timestamps to the current logical time.
func (i *Inode) Touch(m, c bool) {
	now := i.Sb.k.clock
	if m {
		i.Mtime = now
	}
	if c {
		i.Ctime = now
	}
}

// Ihold takes a reference on an in-core inode (models fs/inode.c:ihold and
// igrab). Taking one on an unused cached inode (i_count 0) is allowed, as
// igrab allows it; taking one on an inode being freed is a bug.
func Ihold(i *Inode) {
	if i.state&(I_FREEING|I_CLEAR) != 0 {
		Bug("ihold on freed inode %d of %s", i.Ino, i.Sb.describe())
	}
	i.refs++
}

// Iput drops a reference (models fs/inode.c:iput). The last reference of an
// inode with nlink 0 evicts it: the filesystem's EvictInode runs (ext4sim
// frees the inode and takes it off its orphan list there), its pages are
// released, and the inode is freed.
func Iput(i *Inode) {
	if i.refs <= 0 {
		Bug("iput: inode %d of %s has i_count 0", i.Ino, i.Sb.describe())
	}
	i.refs--
	if i.refs == 0 {
		iputFinal(i)
	}
}

// iputFinal models fs/inode.c:iput_final with generic_drop_inode: an unused
// inode is dropped when it has no links or its superblock is going away.
func iputFinal(i *Inode) {
	if i.nlink == 0 || i.Sb.dying || i.Sb.DropUnused {
		evict(i)
	}
}

// evict models fs/inode.c:evict.
func evict(i *Inode) {
	if i.refs != 0 {
		Bug("evict: inode %d still has i_count %d", i.Ino, i.refs)
	}
	sb := i.Sb
	i.state |= I_FREEING
	if !sb.DropUnused {
		if sb.k.Tracing() {
			sb.k.Tracef("fs/inode.c:evict", "inode %d of %s (nlink %d)", i.Ino, sb.describe(), i.nlink)
		}
	}
	if ev, ok := sb.Ops.(InodeEvicter); ok {
		ev.EvictInode(i)
	}
	i.Mapping.release()
	i.pipe = nil
	if i.nlink == 0 {
		sb.removeCount--
	}
	i.state |= I_CLEAR
	delete(sb.inodes, i.id)
	sb.k.unregister(&i.kobj)
}
