package criuhost

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/relinksim/relinksim/script"
)

// SimRoot is where the simulator mounts the filesystem under test; a
// recording names the real mount point so.
const SimRoot = "/mnt"

// Names CRIU or the kernel choose arbitrarily, and what a recording
// prints instead.
var arbitrary = []struct {
	re   *regexp.Regexp
	repl string
}{
	// link_remap.<file id>: the id of a fresh file entry of the dump.
	{regexp.MustCompile(`link_remap\.[0-9]+`), "link_remap.N"},
	// <path>.cr.<remap id in hex>.ghost: a ghost file while a restore
	// builds it.
	{regexp.MustCompile(`\.cr\.[0-9a-f]+\.ghost`), ".cr.N.ghost"},
	// "(pid: 1234)" in CRIU's messages.
	{regexp.MustCompile(`pid:? [0-9]+`), "pid N"},
}

// NormalizeText rewrites what CRIU or the kernel chose arbitrarily in s:
// the filesystem's real mount point root (also without its leading slash,
// as CRIU prints paths relative to the mount namespace's root) becomes
// /mnt, link_remap.<id> becomes link_remap.N, a ghost's .cr.<hex>.ghost
// suffix .cr.N.ghost, and a pid in a message "pid N".
func NormalizeText(s, root string) string {
	if root != "" && root != SimRoot {
		root = filepath.Clean(root)
		s = strings.ReplaceAll(s, root, SimRoot)
		if rel := strings.TrimPrefix(root, "/"); rel != "" {
			s = strings.ReplaceAll(s, rel, strings.TrimPrefix(SimRoot, "/"))
		}
	}
	for _, a := range arbitrary {
		s = a.re.ReplaceAllString(s, a.repl)
	}
	return s
}

// normalizedOps are the ops whose results name files: their names (ls,
// tree) and paths (readlink, readlink-fd) are normalized.
var normalizedOps = map[string]bool{"ls": true, "tree": true, "readlink": true, "readlink-fd": true}

// NormalizeStep normalizes the names and paths an ordinary op's result
// holds (see NormalizeText), for a step run with root as the filesystem's
// mount point (SimRoot on the simulator). Other ops' results are kept.
func NormalizeStep(st script.Step, root string) script.Step {
	name, _, _ := strings.Cut(strings.TrimSpace(st.Op), " ")
	if !normalizedOps[name] {
		return st
	}
	switch v := st.Ret.(type) {
	case string:
		st.Ret = NormalizeText(v, root)
	case []string:
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = NormalizeText(s, root)
		}
		st.Ret = out
	case []script.Node:
		out := make([]script.Node, len(v))
		for i, n := range v {
			n.Path = NormalizeText(n.Path, root)
			out[i] = n
		}
		st.Ret = out
	}
	return st
}

// OKStep is a successful checkpoint or restart (or a kill: no ret) as a
// recording prints it.
func OKStep(line int, src string) script.Step {
	st := script.Step{Line: line, Op: src}
	if k, _, _ := strings.Cut(src, " "); k != "kill" {
		st.Ret = OK
	}
	return st
}

// FailedStep is a failed checkpoint or restart as a recording prints it:
// errno FailErrno, detail the reason.
func FailedStep(line int, src string, r Reason) script.Step {
	return script.Step{Line: line, Op: src, Errno: FailErrno, Detail: string(r)}
}

// SimStep maps a step the simulator printed for a scenario to the
// recording's format: a checkpoint or restart step becomes OKStep when it
// has no errno, and FailedStep otherwise, with the reason its ret names
// when that is a string naming a class, else the class of its errno
// (ReasonForErrno), else "errno NAME" (which no recording holds); a kill
// step loses any ret; other steps are normalized (NormalizeStep, root
// SimRoot). A step with Err set is returned as it is.
func SimStep(st script.Step) script.Step {
	if st.Err != nil {
		return st
	}
	name, _, _ := strings.Cut(strings.TrimSpace(st.Op), " ")
	switch name {
	case "checkpoint", "restart", "kill":
		if st.Errno == "" {
			return OKStep(st.Line, st.Op)
		}
		if s, ok := st.Ret.(string); ok {
			for _, r := range Reasons() {
				if s == string(r) {
					return FailedStep(st.Line, st.Op, r)
				}
			}
		}
		if r, ok := ReasonForErrno(st.Errno); ok {
			return FailedStep(st.Line, st.Op, r)
		}
		return FailedStep(st.Line, st.Op, Reason("errno "+st.Errno))
	}
	return NormalizeStep(st, SimRoot)
}

// EncodeStep is a step's JSON line as recordings hold it: the encoding
// script's scenario recordings use (encoding/json's Encoder, HTML
// escaping on), without the newline.
func EncodeStep(st script.Step) (string, error) {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(st); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
