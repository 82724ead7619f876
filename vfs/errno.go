package vfs

import (
	"errors"
	"io/fs"
	"strconv"
)

// Errno is a Linux error number, numbered as in Linux's
// include/uapi/asm-generic/errno-base.h and errno.h (the x86-64 and arm64
// numbering). It deliberately is not syscall.Errno: that type's values depend
// on GOOS, and the simulator's answers must not.
//
// Inside the simulated kernel, functions return bare Errno values, the way
// kernel functions return -ENOENT. The syscall surface on Task wraps them once
// in a *PathError or *LinkError, so errors.Is(err, ENOENT) and
// errors.Is(err, fs.ErrNotExist) both hold.
type Errno uint32

// Linux error numbers used by the simulator.
const (
	EPERM        Errno = 1
	ENOENT       Errno = 2
	ESRCH        Errno = 3
	EINTR        Errno = 4
	EIO          Errno = 5
	ENXIO        Errno = 6
	E2BIG        Errno = 7
	EBADF        Errno = 9
	EAGAIN       Errno = 11
	ENOMEM       Errno = 12
	EACCES       Errno = 13
	EFAULT       Errno = 14
	ENOTBLK      Errno = 15
	EBUSY        Errno = 16
	EEXIST       Errno = 17
	EXDEV        Errno = 18
	ENODEV       Errno = 19
	ENOTDIR      Errno = 20
	EISDIR       Errno = 21
	EINVAL       Errno = 22
	ENFILE       Errno = 23
	EMFILE       Errno = 24
	ENOTTY       Errno = 25
	ETXTBSY      Errno = 26
	EFBIG        Errno = 27
	ENOSPC       Errno = 28
	ESPIPE       Errno = 29
	EROFS        Errno = 30
	EMLINK       Errno = 31
	EPIPE        Errno = 32
	ERANGE       Errno = 34
	EDEADLK      Errno = 35
	ENAMETOOLONG Errno = 36
	ENOSYS       Errno = 38
	ENOTEMPTY    Errno = 39
	ELOOP        Errno = 40
	ENODATA      Errno = 61
	EOVERFLOW    Errno = 75
	EOPNOTSUPP   Errno = 95
	ESTALE       Errno = 116
	EUCLEAN      Errno = 117 // EFSCORRUPTED in ext4 and xfs
	EDQUOT       Errno = 122
)

// EWOULDBLOCK is EAGAIN on Linux.
const EWOULDBLOCK = EAGAIN

var errnoInfo = map[Errno][2]string{
	EPERM:        {"EPERM", "operation not permitted"},
	ENOENT:       {"ENOENT", "no such file or directory"},
	ESRCH:        {"ESRCH", "no such process"},
	EINTR:        {"EINTR", "interrupted system call"},
	EIO:          {"EIO", "input/output error"},
	ENXIO:        {"ENXIO", "no such device or address"},
	E2BIG:        {"E2BIG", "argument list too long"},
	EBADF:        {"EBADF", "bad file descriptor"},
	EAGAIN:       {"EAGAIN", "resource temporarily unavailable"},
	ENOMEM:       {"ENOMEM", "cannot allocate memory"},
	EACCES:       {"EACCES", "permission denied"},
	EFAULT:       {"EFAULT", "bad address"},
	ENOTBLK:      {"ENOTBLK", "block device required"},
	EBUSY:        {"EBUSY", "device or resource busy"},
	EEXIST:       {"EEXIST", "file exists"},
	EXDEV:        {"EXDEV", "invalid cross-device link"},
	ENODEV:       {"ENODEV", "no such device"},
	ENOTDIR:      {"ENOTDIR", "not a directory"},
	EISDIR:       {"EISDIR", "is a directory"},
	EINVAL:       {"EINVAL", "invalid argument"},
	ENFILE:       {"ENFILE", "too many open files in system"},
	EMFILE:       {"EMFILE", "too many open files"},
	ENOTTY:       {"ENOTTY", "inappropriate ioctl for device"},
	ETXTBSY:      {"ETXTBSY", "text file busy"},
	EFBIG:        {"EFBIG", "file too large"},
	ENOSPC:       {"ENOSPC", "no space left on device"},
	ESPIPE:       {"ESPIPE", "illegal seek"},
	EROFS:        {"EROFS", "read-only file system"},
	EMLINK:       {"EMLINK", "too many links"},
	EPIPE:        {"EPIPE", "broken pipe"},
	ERANGE:       {"ERANGE", "numerical result out of range"},
	EDEADLK:      {"EDEADLK", "resource deadlock avoided"},
	ENAMETOOLONG: {"ENAMETOOLONG", "file name too long"},
	ENOSYS:       {"ENOSYS", "function not implemented"},
	ENOTEMPTY:    {"ENOTEMPTY", "directory not empty"},
	ELOOP:        {"ELOOP", "too many levels of symbolic links"},
	ENODATA:      {"ENODATA", "no data available"},
	EOVERFLOW:    {"EOVERFLOW", "value too large for defined data type"},
	EOPNOTSUPP:   {"EOPNOTSUPP", "operation not supported"},
	ESTALE:       {"ESTALE", "stale file handle"},
	EUCLEAN:      {"EUCLEAN", "structure needs cleaning"},
	EDQUOT:       {"EDQUOT", "disk quota exceeded"},
}

// Name returns the symbolic name, "ENOENT", as unix.ErrnoName does.
func (e Errno) Name() string {
	if info, ok := errnoInfo[e]; ok {
		return info[0]
	}
	return "errno" + strconv.Itoa(int(e))
}

// Error returns the name and the strerror text: "ENOENT (no such file or
// directory)". Transcripts print the name alone; see ErrnoName.
func (e Errno) Error() string {
	if info, ok := errnoInfo[e]; ok {
		return info[0] + " (" + info[1] + ")"
	}
	return "errno " + strconv.Itoa(int(e))
}

// Is maps errnos onto the io/fs sentinel errors the same way syscall.Errno
// does, so errors.Is(err, fs.ErrNotExist) works on simulator errors.
func (e Errno) Is(target error) bool {
	switch target {
	case fs.ErrPermission:
		return e == EACCES || e == EPERM
	case fs.ErrExist:
		return e == EEXIST || e == ENOTEMPTY
	case fs.ErrNotExist:
		return e == ENOENT
	case errors.ErrUnsupported:
		return e == ENOSYS || e == EOPNOTSUPP
	}
	return false
}

// PathError is the error the syscall surface returns for single-path
// operations. It is io/fs's type, so code written against os and io/fs can
// inspect simulator errors unchanged.
type PathError = fs.PathError

// LinkError records an error during a two-path operation (link, rename, and
// the kernel-internal relink). It mirrors os.LinkError.
type LinkError struct {
	Op  string
	Old string
	New string
	Err error
}

func (e *LinkError) Error() string {
	return e.Op + " " + e.Old + " " + e.New + ": " + e.Err.Error()
}

// Unwrap returns the underlying Errno.
func (e *LinkError) Unwrap() error { return e.Err }

// ErrnoOf returns the Errno inside err, or 0 if err is nil. It panics on an
// error that carries no Errno: every error the simulated kernel produces is an
// errno, and anything else is a simulator bug.
func ErrnoOf(err error) Errno {
	if err == nil {
		return 0
	}
	var e Errno
	if errors.As(err, &e) {
		return e
	}
	panic(assertionFailure("error without an errno: " + err.Error()))
}

// ErrnoName returns "ENOENT" for an error carrying ENOENT and "" for nil.
// Transcripts and the op-language runner print errors this way.
func ErrnoName(err error) string {
	if err == nil {
		return ""
	}
	return ErrnoOf(err).Name()
}

func pathErr(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return &PathError{Op: op, Path: path, Err: err}
}

func linkErr(op, old, new string, err error) error {
	if err == nil {
		return nil
	}
	return &LinkError{Op: op, Old: old, New: new, Err: err}
}
