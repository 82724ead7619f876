package script

import (
	"fmt"
	"strings"
)

// Describe formats a step for a transcript: the op, a colon, and its
// result — "ok", an errno, a quoted string, a stat line, or an indented tree.
func (s Step) Describe() string {
	res := "ok"
	switch {
	case s.Errno != "":
		res = "error " + s.Errno
	case s.Ret != nil:
		res = describeRet(s.Ret)
	}
	if strings.HasPrefix(res, "\n") {
		return s.Op + ":" + res
	}
	return s.Op + ": " + res
}

func describeRet(ret any) string {
	switch v := ret.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case []string:
		for _, e := range v {
			if strings.Contains(e, " ") {
				// Log lines and violations: one per line.
				return "\n  " + strings.Join(v, "\n  ")
			}
		}
		return "[" + strings.Join(v, " ") + "]"
	case map[string]any:
		return fmt.Sprintf("%v nlink=%v size=%v", v["type"], v["nlink"], v["size"])
	case []Node:
		if len(v) == 0 {
			return "(empty)"
		}
		var b strings.Builder
		for _, n := range v {
			fmt.Fprintf(&b, "\n  %-12s %-7s nlink=%d size=%d %s", n.Path, n.Type, n.Nlink, n.Size, n.Inode)
		}
		return b.String()
	}
	return fmt.Sprint(ret)
}
