package vfs

// A mount stack is a chain of mounts each mounted on the root of the one
// below it: mount --bind /a /mnt, again and again, gives /mnt a stack.
// Linux keeps no such object. fs/namei.c:traverse_mounts climbs a stack
// one hash lookup per mount, and follow_dotdot (choose_mountpoint) climbs
// down it the same way, so a walk through a stack of N mounts costs O(N)
// and stacking N mounts costs O(N²); fs.mount-max caps N at 100,000.
//
// The simulator gives every mount that is mounted somewhere a *mountStack
// naming the bottom and the top of its chain, so followMounts jumps to
// the top and followDotDot to the bottom's mountpoint in one step. What a
// walk sees is unchanged: the answer is the mount Linux's loop ends on.
// This is a divergence in cost only, checked by the invariant checker
// (V19) and by TestStackedMountsWalkLikeLinux and TestDotDotAtRootCrossesMounts;
// TestStackedMountsCostNoMoreThanOne counts the steps and
// BenchmarkStackedMounts measures them.
//
// Invariants (with m.stack != nil exactly for the mounts that have a
// mountpoint):
//
//  1. A member other than the bottom is mounted on the root of the member
//     below it, which is in the same stack.
//  2. The bottom is not mounted on the root of a mount that has a stack.
//  3. Nothing is mounted on the top's root.
//  4. size counts the members.
type mountStack struct {
	bottom, top *Mount
	size        int
}

// joinStack puts child, just hung on at by linkMnt, into a stack: the
// stack of at's mount when child sits on that mount's root, else a new
// one. A tree copied or cloned bottom-up can already have a stack on
// child's root; that stack is merged above child, the smaller stack's
// members moving to the larger (so n mounts move O(n log n) times in
// all).
func (k *Kernel) joinStack(child *Mount, at Path) {
	if at.Dentry == at.Mnt.root && at.Mnt.stack != nil {
		s := at.Mnt.stack
		if s.top != at.Mnt {
			Bug("mount stack: %s is mounted on %s, which is not its stack's top", child.describe(), at.Mnt.describe())
		}
		s.top, s.size = child, s.size+1
		child.stack = s
	} else {
		child.stack = &mountStack{bottom: child, top: child, size: 1}
	}
	above := k.mountHash[mountpoint{child, child.root}]
	if above == nil {
		return
	}
	lower, upper := child.stack, above.stack
	if upper == nil || upper.bottom != above {
		Bug("mount stack: %s on the root of %s is not the bottom of a stack", above.describe(), child.describe())
	}
	if upper.size <= lower.size {
		for m := upper.top; ; m = m.parent {
			m.stack = lower
			if m == upper.bottom {
				break
			}
		}
		lower.top, lower.size = upper.top, lower.size+upper.size
		return
	}
	for m := lower.top; ; m = m.parent {
		m.stack = upper
		if m == lower.bottom {
			break
		}
	}
	upper.bottom, upper.size = lower.bottom, upper.size+lower.size
}

// leaveStack takes m, being unhung by umountTree, out of its stack. The
// mounts above m are its children and are unhung first, so m is the top.
func leaveStack(m *Mount) {
	s := m.stack
	if s == nil {
		Bug("mount stack: %s has a mountpoint but no stack", m.describe())
	}
	if s.top != m {
		Bug("mount stack: %s is unmounted below the top of its stack", m.describe())
	}
	m.stack = nil
	if s.bottom == m {
		s.top, s.bottom, s.size = nil, nil, 0
		return
	}
	s.top, s.size = m.parent, s.size-1
}
