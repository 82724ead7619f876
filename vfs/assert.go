package vfs

import "fmt"

// AssertionFailure is the panic value of a broken simulator invariant. It is
// never an errno: an errno is a legal answer of the simulated kernel, an
// AssertionFailure is a bug in the simulator (or in a filesystem built on it),
// the analogue of a kernel BUG_ON.
type AssertionFailure struct {
	Msg string
}

func (a *AssertionFailure) Error() string { return "relinksim: assertion failed: " + a.Msg }

func assertionFailure(msg string) *AssertionFailure { return &AssertionFailure{Msg: msg} }

// Assert panics with an *AssertionFailure when cond is false. It is the one
// assertion helper of the project: filesystems built on vfs use it too, so a
// test can recover the panic and tell simulator bugs from kernel answers.
// The message is formatted only on failure.
func Assert(cond bool, format string, args ...any) {
	if !cond {
		Bug(format, args...)
	}
}

// Bug panics with an *AssertionFailure. It is Assert's form for hot paths:
// the caller tests the condition itself, so the message's arguments are only
// computed on failure:
//
//	if d.refs <= 0 {
//		vfs.Bug("dput: dentry %s has d_count 0", d.describe())
//	}
func Bug(format string, args ...any) {
	panic(assertionFailure(fmt.Sprintf(format, args...)))
}
