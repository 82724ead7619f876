package vfs

// The kernel's locks on the link/unlink/rename paths are explicit calls here,
// named after the kernel's. While one task runs they cost a nil check and a
// field store: nobody can contend. They still record their holder, so a
// simulator bug that takes a lock twice panics instead of passing silently,
// and a Scheduler (the race explorer) can turn every acquisition, every
// release and every marked preemption point into a place where another task
// runs — without restructuring the kernel code.

// Scheduler decides which simulated task runs at each yield point. With no
// Scheduler installed (the default) yield points do nothing and a contended
// lock is a simulator bug.
type Scheduler interface {
	// Yield is called at every yield point: before a lock is acquired, after
	// it is released, and at preemption points the kernel marks. The
	// scheduler may switch to another task before returning.
	Yield(t *Task, point string)

	// Block is called when t must wait for l, which another task holds
	// (shared: t wants it for reading). It returns after the scheduler has
	// run other tasks; the caller re-checks the lock.
	Block(t *Task, l *Lock, shared bool)
}

// SetScheduler installs a scheduler (nil removes it).
func (k *Kernel) SetScheduler(s Scheduler) { k.scheduler = s }

// SetCurrent makes t the task the kernel runs on behalf of ("current"). A
// system call sets it on entry; a scheduler that switches tasks in the
// middle of system calls sets it when it resumes one.
func (k *Kernel) SetCurrent(t *Task) { k.current = t }

// Lock is a sleeping lock of the simulated kernel: a mutex, or a
// reader/writer semaphore when taken with LockShared. Name is the kernel's
// name for it ("i_rwsem", "s_vfs_rename_mutex", "s_orphan_lock").
type Lock struct {
	Name    string
	holder  *Task
	readers int
}

// Holder returns the task holding the lock for writing, or nil.
func (l *Lock) Holder() *Task { return l.holder }

// Available reports whether the lock could be taken now, for reading
// (shared) or for writing.
func (l *Lock) Available(shared bool) bool {
	return l.holder == nil && (shared || l.readers == 0)
}

// Acquire takes l for writing on behalf of the current task (mutex_lock,
// down_write).
func (k *Kernel) Acquire(l *Lock, where string) {
	t := k.current
	if t == nil {
		Bug("%s: %s taken outside a system call (no current task)", where, l.Name)
	}
	if k.scheduler != nil {
		k.scheduler.Yield(t, "before lock "+l.Name+" in "+where)
	}
	for l.holder != nil || l.readers > 0 {
		if l.holder == t {
			Bug("%s: task %d takes %s twice", where, tidOf(t), l.Name)
		}
		if k.scheduler == nil {
			Bug("%s: %s contended with no scheduler installed", where, l.Name)
		}
		k.scheduler.Block(t, l, false)
	}
	l.holder = t
}

// AcquireShared takes l for reading (down_read, inode_lock_shared).
func (k *Kernel) AcquireShared(l *Lock, where string) {
	t := k.current
	if t == nil {
		Bug("%s: %s taken outside a system call (no current task)", where, l.Name)
	}
	if k.scheduler != nil {
		k.scheduler.Yield(t, "before lock "+l.Name+" (shared) in "+where)
	}
	for l.holder != nil {
		if l.holder == t {
			Bug("%s: task %d takes %s shared while holding it", where, tidOf(t), l.Name)
		}
		if k.scheduler == nil {
			Bug("%s: %s contended with no scheduler installed", where, l.Name)
		}
		k.scheduler.Block(t, l, true)
	}
	l.readers++
}

// Release drops a write hold taken by Acquire.
func (k *Kernel) Release(l *Lock, where string) {
	if l.holder != k.current {
		Bug("%s: releasing %s not held by the current task", where, l.Name)
	}
	l.holder = nil
	if k.scheduler != nil {
		k.scheduler.Yield(k.current, "after unlock "+l.Name+" in "+where)
	}
}

// ReleaseShared drops a read hold taken by AcquireShared.
func (k *Kernel) ReleaseShared(l *Lock, where string) {
	if l.readers <= 0 {
		Bug("%s: releasing %s (shared) not held", where, l.Name)
	}
	l.readers--
	if k.scheduler != nil {
		k.scheduler.Yield(k.current, "after unlock "+l.Name+" (shared) in "+where)
	}
}

// PreemptPoint marks a place where the kernel may be preempted without
// holding a lock the next step needs — for example between path lookup and
// the operation on what was looked up, where the 2007 link/unlink race opens.
func (k *Kernel) PreemptPoint(where string) {
	if k.scheduler != nil {
		k.scheduler.Yield(k.current, where)
	}
}

// PreemptPointIn is PreemptPoint(where + " in " + fn), the string made only
// when a scheduler will read it (so that the point costs nothing outside
// the race explorer).
func (k *Kernel) PreemptPointIn(where, fn string) {
	if k.scheduler != nil {
		k.scheduler.Yield(k.current, where+" in "+fn)
	}
}

// InodeLock models include/linux/fs.h:inode_lock (down_write(&inode->i_rwsem);
// i_mutex before 4.7).
func (k *Kernel) InodeLock(i *Inode, where string) { k.Acquire(&i.rwsem, where) }

// InodeUnlock models include/linux/fs.h:inode_unlock.
func (k *Kernel) InodeUnlock(i *Inode, where string) { k.Release(&i.rwsem, where) }

// InodeLockShared models include/linux/fs.h:inode_lock_shared (used by
// lookup_slow and readdir).
func (k *Kernel) InodeLockShared(i *Inode, where string) { k.AcquireShared(&i.rwsem, where) }

// InodeUnlockShared models include/linux/fs.h:inode_unlock_shared.
func (k *Kernel) InodeUnlockShared(i *Inode, where string) { k.ReleaseShared(&i.rwsem, where) }

// lockRename models fs/namei.c:lock_rename and lock_two_directories: for
// two different parent directories it takes the superblock's
// s_vfs_rename_mutex, then both parents' i_rwsem, ancestor first. It returns
// the "trap": when one parent is an ancestor of the other, the child of the
// ancestor on the path down to the other parent (nil otherwise). A rename
// whose source is the trap would move a directory under itself; one whose
// target is the trap would replace an ancestor of the source.
func (k *Kernel) lockRename(p1, p2 *Dentry) *Dentry {
	if p1 == p2 {
		k.InodeLock(p1.inode, "lock_rename")
		return nil
	}
	k.Acquire(&p1.sb.renameMutex, "lock_rename")
	if c := childOnPath(p2, p1); c != nil {
		k.InodeLock(p2.inode, "lock_rename")
		k.InodeLock(p1.inode, "lock_rename")
		return c
	}
	if c := childOnPath(p1, p2); c != nil {
		k.InodeLock(p1.inode, "lock_rename")
		k.InodeLock(p2.inode, "lock_rename")
		return c
	}
	k.InodeLock(p1.inode, "lock_rename")
	k.InodeLock(p2.inode, "lock_rename")
	return nil
}

// childOnPath returns the child of anc that is d or an ancestor of d, or nil
// when anc is not a proper ancestor of d.
func childOnPath(anc, d *Dentry) *Dentry {
	for e := d; !e.IsRoot(); e = e.parent {
		if e.parent == anc {
			return e
		}
	}
	return nil
}

// unlockRename models fs/namei.c:unlock_rename.
func (k *Kernel) unlockRename(p1, p2 *Dentry) {
	k.InodeUnlock(p1.inode, "unlock_rename")
	if p1 != p2 {
		k.InodeUnlock(p2.inode, "unlock_rename")
		k.Release(&p1.sb.renameMutex, "unlock_rename")
	}
}

func tidOf(t *Task) int {
	if t == nil {
		return 0
	}
	return t.tid
}
