package criuhost

import (
	"errors"
	"regexp"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

// Reason is the normalized class of a failed criu dump or restore: what a
// recording holds in a failed checkpoint or restart step's detail, and
// what the simulator's failure must map to for the step to compare equal.
type Reason string

// The reason classes. Each is recognised by a message of CRIU's (an
// "Error (file.c:line): ..." line of its log; the simulator's errors
// carry the same text, see SimReason), and has an errno the simulator's
// criu strategy answers with (Errno), by which a simulated step that lost
// its message still maps back to a class (ReasonForErrno; fake link taken
// shares EEXIST with name reused, and bad mode EINVAL with bad size, so
// only their messages tell them).
const (
	// LinkRemapNeeded: an open file whose name was removed but which has
	// other links; without --link-remap CRIU refuses it ("Can't create
	// link remap for PATH. Use link-remap option."). Simulator: EPERM.
	LinkRemapNeeded Reason = "link-remap needed"
	// GhostLimit: an open file with no name whose allocated bytes
	// (st_blocks*512) exceed --ghost-limit, 1 MiB by default ("Can't dump
	// ghost file PATH of N size, increase limit"). Simulator: EFBIG.
	GhostLimit Reason = "ghost limit"
	// NameReused: an open file whose name now leads to another inode; the
	// dump refuses it ("Unaccessible path opened PATH"). Simulator: EEXIST.
	NameReused Reason = "name reused"
	// Overmounted: an open file on a mount something is mounted over
	// ("Open files on overmounted mounts are not supported yet").
	// Simulator: EBUSY.
	Overmounted Reason = "overmounted"
	// FakeLinkTaken: at restore the original name was taken, so CRIU
	// links the remap to the fake name PATH.cr_link instead, and that is
	// taken too ("Can't create even fake link!"), e.g. by what a failed
	// restore left. Simulator: EEXIST.
	FakeLinkTaken Reason = "fake link taken"
	// BadSize: at restore the file a descriptor reopens (through its name
	// or a link remap) is not as long as the image says ("File PATH has
	// bad size N (expect M)"). Simulator: EINVAL.
	BadSize Reason = "bad size"
	// BadMode: the same check for the file's mode ("File PATH has bad
	// mode"). Simulator: EINVAL.
	BadMode Reason = "bad mode"
)

// OtherPrefix starts the reason of a failure no class matches: "error: "
// and the first error line of CRIU's log, without its timestamp and
// source location, paths and arbitrary ids normalized (NormalizeText).
// The simulator has no such failure: a recording that holds one is a case
// to give a class of its own.
const OtherPrefix = "error: "

// FailErrno is the errno field of a failed checkpoint or restart step in
// a recording: not a Linux errno (CRIU returns none) but a marker; the
// step's detail holds the Reason.
const FailErrno = "CRIU"

// OK is the ret of a successful checkpoint or restart step.
const OK = "ok"

type class struct {
	reason Reason
	// all of these must occur in one log line
	match []string
	errno vfs.Errno
}

// classes are tried in order against every error line of a log, the first
// line that matches a class deciding.
var classes = []class{
	{LinkRemapNeeded, []string{"Can't create link remap", "Use link-remap option"}, vfs.EPERM},
	{GhostLimit, []string{"Can't dump ghost file", "increase limit"}, vfs.EFBIG},
	{NameReused, []string{"Unaccessible path opened"}, vfs.EEXIST},
	{Overmounted, []string{"overmounted"}, vfs.EBUSY},
	{FakeLinkTaken, []string{"Can't create even fake link"}, vfs.EEXIST},
	{BadSize, []string{"has bad size"}, vfs.EINVAL},
	{BadMode, []string{"has bad mode"}, vfs.EINVAL},
}

// Reasons lists the classes, in the order they are tried.
func Reasons() []Reason {
	out := make([]Reason, len(classes))
	for i, c := range classes {
		out[i] = c.reason
	}
	return out
}

// Errno is the errno the simulator answers for reason r (0 for a reason
// that is no class).
func (r Reason) Errno() vfs.Errno {
	for _, c := range classes {
		if c.reason == r {
			return c.errno
		}
	}
	return 0
}

// ReasonForErrno maps the errno name a simulated checkpoint or restart
// step failed with ("EPERM") to its class; ok is false for an errno no
// class has.
func ReasonForErrno(name string) (r Reason, ok bool) {
	for _, c := range classes {
		if c.errno.Name() == name {
			return c.reason, true
		}
	}
	return "", false
}

// harmless are error lines CRIU prints on every run here, which say
// nothing about the dump or restore.
var harmless = []string{
	"Can't setup RLIMIT_NOFILE",
}

var logLineRe = regexp.MustCompile(`^\([0-9. ]+\)\s*(?:[0-9]+: )?(Error|Warn)\s*\(([^)]*)\):\s*(.*)$`)

// Classify reads a CRIU log and returns the reason of its failure: the
// class of the first error line (or restore-check warning) a class
// matches, else OtherPrefix and the first error line that is not harmless,
// else "" (the log shows no error). root is the filesystem under test's
// mount point, which the reason names /mnt.
func Classify(log, root string) Reason {
	var first string
	for _, l := range strings.Split(log, "\n") {
		m := logLineRe.FindStringSubmatch(strings.TrimSpace(l))
		if m == nil {
			continue
		}
		msg := m[3]
		if r, ok := MessageReason(msg); ok {
			return r
		}
		if m[1] != "Error" || containsAny(msg, harmless) {
			continue
		}
		if first == "" {
			first = msg
		}
	}
	if first == "" {
		return ""
	}
	return Reason(OtherPrefix + NormalizeText(first, root))
}

// MessageReason is the class of one message of CRIU's (or of the
// simulator's model of it), ok false when no class matches.
func MessageReason(msg string) (r Reason, ok bool) {
	for _, c := range classes {
		if containsAll(msg, c.match) {
			return c.reason, true
		}
	}
	return "", false
}

// SimReason is the class of an error a simulated checkpoint or restart
// returned: the class its message names (MessageReason), else the class
// of its errno (ReasonForErrno), else "errno NAME", else OtherPrefix and
// the message (neither of which a recording's class is).
func SimReason(err error) Reason {
	if r, ok := MessageReason(err.Error()); ok {
		return r
	}
	var e vfs.Errno
	if errors.As(err, &e) {
		if r, ok := ReasonForErrno(e.Name()); ok {
			return r
		}
		return Reason("errno " + e.Name())
	}
	return Reason(OtherPrefix + NormalizeText(err.Error(), SimRoot))
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
