package criuhost

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/relinksim/relinksim/script"
)

// Special is one of a scenario's three ops that the harness carries out
// itself (package ckpt registers them for the simulator).
type Special struct {
	Line int
	Src  string // the op's text, as a step echoes it
	Kind string // "checkpoint", "kill" or "restart"
	// Image is checkpoint's -> IMG, restart's IMG.
	Image string
	// checkpoint's options: link-remap=1 (--link-remap) and
	// ghost-limit=BYTES (--ghost-limit BYTES; 0 for CRIU's default).
	LinkRemap  bool
	GhostLimit int64
}

// Item is one op of a scenario: an ordinary op (Op) or a Special.
type Item struct {
	Op      *script.Op
	Special *Special
}

// Line is the item's line in the scenario.
func (it Item) Line() int {
	if it.Special != nil {
		return it.Special.Line
	}
	return it.Op.Line
}

// ParseScenario parses a scenario: ops of the op language, with
// checkpoint, kill and restart in the criu strategy's syntax:
//
//	checkpoint criu [link-remap=0|1] [ghost-limit=BYTES] -> IMG
//	kill
//	restart IMG
//
// It returns the ops in order. The ordinary ops are parsed by script.Parse
// (the specials are not registered unless package ckpt is linked in, and
// its syntax check need not know the strategy).
func ParseScenario(name, src string) ([]Item, error) {
	lines := strings.Split(src, "\n")
	var specials []Special
	for i, line := range lines {
		text := strings.TrimSpace(line)
		w := strings.Fields(text)
		if len(w) == 0 || strings.HasPrefix(text, "#") {
			continue
		}
		switch w[0] {
		case "checkpoint", "kill", "restart":
		default:
			continue
		}
		sp, err := parseSpecial(w)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, i+1, err)
		}
		sp.Line, sp.Src = i+1, text
		specials = append(specials, sp)
		lines[i] = "# " + text
	}
	ops, err := script.ParseFile(name, strings.Join(lines, "\n"))
	if err != nil {
		return nil, err
	}
	var items []Item
	oi := 0
	for si := 0; oi < len(ops) || si < len(specials); {
		if si < len(specials) && (oi == len(ops) || specials[si].Line < ops[oi].Line) {
			items = append(items, Item{Special: &specials[si]})
			si++
			continue
		}
		items = append(items, Item{Op: &ops[oi]})
		oi++
	}
	return items, nil
}

func parseSpecial(w []string) (Special, error) {
	sp := Special{Kind: w[0]}
	switch w[0] {
	case "kill":
		if len(w) != 1 {
			return sp, fmt.Errorf("kill takes no operands")
		}
	case "restart":
		if len(w) != 2 {
			return sp, fmt.Errorf("want restart IMG (no options: CRIU's restore has no injected faults)")
		}
		sp.Image = w[1]
	case "checkpoint":
		n := len(w)
		if n < 4 || w[n-2] != "->" || w[1] != "criu" {
			return sp, fmt.Errorf("want checkpoint criu [link-remap=0|1] [ghost-limit=BYTES] -> IMG")
		}
		sp.Image = w[n-1]
		for _, o := range w[2 : n-2] {
			k, v, _ := strings.Cut(o, "=")
			switch k {
			case "link-remap":
				if v != "0" && v != "1" {
					return sp, fmt.Errorf("link-remap=%s: want 0 or 1", v)
				}
				sp.LinkRemap = v == "1"
			case "ghost-limit":
				b, err := strconv.ParseInt(v, 10, 64)
				if err != nil || b < 0 {
					return sp, fmt.Errorf("ghost-limit=%s: want a number of bytes", v)
				}
				sp.GhostLimit = b
			default:
				return sp, fmt.Errorf("unknown option %q (want link-remap=0|1 or ghost-limit=BYTES)", o)
			}
		}
	}
	return sp, nil
}

// FilesystemsDirective starts a comment line that names the filesystems
// a scenario is recorded on, when not all make sense for it:
//
//	# filesystems: tmpfs btrfs
const FilesystemsDirective = "# filesystems:"

// AllFilesystems are the filesystems scenarios are recorded on.
var AllFilesystems = []string{"tmpfs", "ext4", "btrfs"}

// Filesystems says which filesystems the scenario src is recorded on:
// those its FilesystemsDirective names, else tmpfs, ext4 and btrfs; but
// not ext4 when it lists a directory with ls (ext4 lists in htree hash
// order, which the simulator does not model: the rule of script's
// scenarios).
func Filesystems(src string) ([]string, error) {
	fss := AllFilesystems
	ls := false
	for _, line := range strings.Split(src, "\n") {
		text := strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(text, FilesystemsDirective); ok {
			fss = strings.Fields(v)
			for _, fs := range fss {
				if !slices.Contains(AllFilesystems, fs) {
					return nil, fmt.Errorf("%s %s: unknown filesystem %q", FilesystemsDirective, v, fs)
				}
			}
		}
		if w := strings.Fields(text); len(w) > 0 && w[0] == "ls" {
			ls = true
		}
	}
	if ls {
		fss = slices.DeleteFunc(slices.Clone(fss), func(fs string) bool { return fs == "ext4" })
	}
	return fss, nil
}
