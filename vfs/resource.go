package vfs

// Resource limits: only RLIMIT_NOFILE, the one the VFS enforces.

// RLIMIT_NOFILE is the resource number of the open-file limit
// (include/uapi/asm-generic/resource.h).
const RLIMIT_NOFILE = 7

// NrOpen is fs.nr_open, the ceiling on RLIMIT_NOFILE (the kernel's default,
// 1024*1024).
const NrOpen = 1 << 20

// Rlimit is struct rlimit: a soft limit Cur that the kernel enforces and a
// hard limit Max that caps it.
type Rlimit struct {
	Cur, Max uint64
}

// defaultNofile is what init starts with: the usual soft limit of 1024 and
// a hard limit of NrOpen. Children inherit their parent's limits.
var defaultNofile = Rlimit{Cur: 1024, Max: NrOpen}

// Getrlimit models getrlimit(2) for RLIMIT_NOFILE.
//
// Errors: EINVAL for any other resource (the simulator models only this
// one).
func (t *Task) Getrlimit(resource int) (Rlimit, error) {
	t.enter()
	if resource != RLIMIT_NOFILE {
		return Rlimit{}, pathErr("getrlimit", "", EINVAL)
	}
	return t.nofile, nil
}

// Setrlimit models setrlimit(2) for RLIMIT_NOFILE (kernel/sys.c:do_prlimit).
// Lowering the soft limit does not close descriptors above it; it stops new
// ones being allocated there.
//
// Errors, in order:
//   - EINVAL: another resource, or Cur > Max.
//   - EPERM: Max above fs.nr_open.
//   - EPERM: Max raised above the current hard limit without
//     CAP_SYS_RESOURCE.
func (t *Task) Setrlimit(resource int, lim Rlimit) error {
	t.enter()
	err := func() error {
		if resource != RLIMIT_NOFILE || lim.Cur > lim.Max {
			return EINVAL
		}
		if lim.Max > NrOpen {
			return EPERM
		}
		if lim.Max > t.nofile.Max && !t.cred.Capable(CAP_SYS_RESOURCE) {
			return EPERM
		}
		return nil
	}()
	if err != nil {
		return pathErr("setrlimit", "RLIMIT_NOFILE", err)
	}
	t.nofile = lim
	return nil
}
