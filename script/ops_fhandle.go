package script

import (
	"errors"
	"fmt"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// File handles: name_to_handle_at(2) stores a handle under a name in the
// runner, open_by_handle_at(2) opens it again through a mount of the
// filesystem under test. A handle is bytes in user space, so it outlives
// descriptors, tasks, unmounts and crashes: on a Machine the names are
// kept with the machine, not the runner a crash or remount replaces.

type (
	// HandleOpener is name_to_handle_at(2) with a MAX_HANDLE_SZ buffer
	// and open_by_handle_at(2) (*vfs.Task and the real kernel's executor
	// have them).
	HandleOpener interface {
		NameToHandleAt(dirfd int, path string, flags int) (vfs.FileHandle, int, error)
		OpenByHandleAt(mountfd int, h vfs.FileHandle, flags int) (int, error)
	}
	// HandleSizer is name_to_handle_at(2) with handle_bytes set by the
	// caller; handleBytes is what the kernel writes back into it.
	HandleSizer interface {
		NameToHandleAtSize(dirfd int, path string, size uint32, flags int) (h vfs.FileHandle, handleBytes uint32, mntID int, err error)
	}
)

var (
	_ HandleOpener = (*vfs.Task)(nil)
	_ HandleSizer  = (*vfs.Task)(nil)
)

// handlesKey keys a Machine's handle names (Machine.Ext).
type handlesKey struct{}

// handleNames returns the map of the runner's handle names: its machine's
// when it has one, else its own.
func (r *Runner) handleNames() map[string]vfs.FileHandle {
	if m := r.m; m != nil {
		hs, _ := m.Ext(handlesKey{}).(map[string]vfs.FileHandle)
		if hs == nil {
			hs = map[string]vfs.FileHandle{}
			m.SetExt(handlesKey{}, hs)
		}
		return hs
	}
	if r.handles == nil {
		r.handles = map[string]vfs.FileHandle{}
	}
	return r.handles
}

// Handle returns the file handle a name-to-handle op stored under name.
func (r *Runner) Handle(name string) (vfs.FileHandle, bool) {
	h, ok := r.handleNames()[name]
	return h, ok
}

// SetHandle stores h under name, as name-to-handle does.
func (r *Runner) SetHandle(name string, h vfs.FileHandle) { r.handleNames()[name] = h }

// HandleInfo is a file handle as the ops print it: what does not change
// between runs (the bytes hold random generations on Linux). Its fields
// are in JSON key order.
type HandleInfo struct {
	Bytes uint32 `json:"handle_bytes"`
	Type  int32  `json:"handle_type"`
}

func (h HandleInfo) String() string {
	return fmt.Sprintf("handle_type=%#x handle_bytes=%d", h.Type, h.Bytes)
}

func handleInfo(h vfs.FileHandle, size uint32) HandleInfo {
	return HandleInfo{Bytes: size, Type: h.Type}
}

func nameToHandleOp(r *Runner, op Op, fd int) (any, error) {
	ho, err := Need[HandleOpener](r, op)
	if err != nil {
		return nil, err
	}
	var h vfs.FileHandle
	if op.Name == "name-to-handle-fd" {
		h, _, err = ho.NameToHandleAt(fd, "", vfs.AT_EMPTY_PATH)
	} else {
		h, _, err = ho.NameToHandleAt(vfs.AT_FDCWD, r.p(op.Path), 0)
	}
	if err != nil {
		return nil, err
	}
	r.SetHandle(op.Out, h)
	return handleInfo(h, uint32(len(h.Bytes))), nil
}

func init() {
	for _, s := range []OpSpec{
		{Name: "name-to-handle", Group: "file", Args: []Arg{ArgPath, ArgOut}, Usage: "name-to-handle PATH -> H",
			Help: "name_to_handle_at(AT_FDCWD, PATH, ..., 0): stores the handle under the name H; ret: its handle_type and handle_bytes (not the bytes, which hold random generations on Linux)",
			Run:  nameToHandleOp},
		{Name: "name-to-handle-fd", Group: "file", UsesFD: true, Args: []Arg{ArgFD, ArgOut}, Usage: "name-to-handle-fd FD -> H",
			Help: `name_to_handle_at(FD, "", ..., AT_EMPTY_PATH): the handle of the open file (unlinked or O_TMPFILE ones too), stored as H; ret: as name-to-handle`,
			Run:  nameToHandleOp},
		{Name: "name-to-handle-size", Group: "file", Args: []Arg{ArgPath, ArgN}, Usage: "name-to-handle-size PATH N",
			Help: "name_to_handle_at(2) of PATH with handle_bytes N; ret: the handle_type and handle_bytes the kernel wrote back (on EOVERFLOW: FILEID_INVALID, 255, and the size needed)",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				hs, err := Need[HandleSizer](r, op)
				if err != nil {
					return nil, err
				}
				if op.N < 0 || op.N > 1<<31 {
					return nil, fmt.Errorf("handle_bytes %d out of range", op.N)
				}
				h, hb, _, err := hs.NameToHandleAtSize(vfs.AT_FDCWD, r.p(op.Path), uint32(op.N), 0)
				var errno vfs.Errno
				if err == nil || errors.As(err, &errno) && errno == vfs.EOVERFLOW {
					return handleInfo(h, hb), err
				}
				return nil, err
			}},
		{Name: "fd-path", Group: "file", UsesFD: true, Args: []Arg{ArgFD},
			Help: `readlink("/proc/self/fd/N") made relative to the root ("." for the root itself), so that it compares across machines; a path outside the root is left as it is ("/" for a file opened by handle that no name reached: a disconnected dentry)`,
			Run: func(r *Runner, op Op, fd int) (any, error) {
				s, err := r.T.Readlink(procFD(fd))
				if err != nil {
					return nil, err
				}
				return relativeToRoot(s, r.Root), nil
			}},
		{Name: "open-by-handle", Group: "file", Args: []Arg{ArgWord, ArgFlags, ArgOut}, Usage: "open-by-handle H FLAGS -> FD",
			Example: "open-by-handle H rdonly -> A",
			Help:    "open_by_handle_at(2) of the handle stored as H, through a descriptor of the root (the filesystem under test's mount), with open FLAGS; names the new descriptor",
			Run: func(r *Runner, op Op, fd int) (any, error) {
				ho, err := Need[HandleOpener](r, op)
				if err != nil {
					return nil, err
				}
				h, ok := r.Handle(op.Text)
				if !ok {
					return nil, fmt.Errorf("no handle is called %q (name-to-handle makes one)", op.Text)
				}
				mfd, err := r.T.Open(r.p("."), vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
				if err != nil {
					return nil, fmt.Errorf("opening the root for the mount descriptor: %v", err)
				}
				nfd, err := ho.OpenByHandleAt(mfd, h, op.openFlags())
				if cerr := r.T.Close(mfd); cerr != nil {
					return nil, fmt.Errorf("closing the mount descriptor: %v", cerr)
				}
				return nil, r.Record(op.Out, nfd, err)
			}},
	} {
		Register(s)
	}
}

// relativeToRoot makes a d_path under root relative to it, keeping a
// " (deleted)" suffix.
func relativeToRoot(s, root string) string {
	path, deleted := strings.CutSuffix(s, " (deleted)")
	switch {
	case path == root:
		path = "."
	case strings.HasPrefix(path, root+"/"):
		path = strings.TrimPrefix(path, root+"/")
	}
	if deleted {
		path += " (deleted)"
	}
	return path
}
