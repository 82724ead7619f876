package script

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// OpSpec is one op of the language: its syntax, its documentation and its
// handler. The built-in ops register themselves; a package above script
// (checkpoint/restart, namespaces, your own tests) adds its ops with
// Register, and from then on they parse, print, run in a Runner or a
// Machine, and appear in Reference — without script importing it.
type OpSpec struct {
	// Name is what a script line starts with.
	Name string
	// Args are the operands, in order.
	Args []Arg
	// Usage overrides the synopsis Reference derives from Args ("symlink
	// TARGET PATH" rather than "symlink WORD PATH").
	Usage string
	// Help says in a line or two what the op does (and, for a system
	// call, which one it makes).
	Help string
	// Example is a line of the op as a script would write it, for the
	// reference and the registry's own test (needed when a WORD operand
	// takes particular words).
	Example string
	// Group orders the reference: "oracle" (ops the kernel oracle knows,
	// with its syntax and output exactly), "file", "namespace", "kernel",
	// "btrfs", or a group of the registering package's own.
	Group string
	// UsesFD: the first operand names an open descriptor; an op naming one
	// that is not open answers EBADF without running, as the oracle does.
	UsesFD bool
	// Oracle marks ops the kernel oracle also knows.
	Oracle bool
	// NoTask marks ops that run with no task in the runner (after the
	// container was killed: restart, image).
	NoTask bool
	// Machine marks ops that act on the whole machine rather than make a
	// task's system call (crash, check, fault, checkpoint, ...): they run
	// on a Machine's own runner, and a race's tasks cannot run them.
	Machine bool
	// Check validates a parsed op beyond its operands' syntax; it returns
	// the index of the operand at fault and a message, or "" when the op is
	// fine.
	Check func(op Op) (arg int, msg string)
	// Run carries the op out. fd is the descriptor op.FD names (when
	// UsesFD). It returns the result (nil for none; it becomes Step.Ret)
	// and an error: one carrying a vfs.Errno is the kernel's answer
	// (Step.Errno); any other says the op could not be carried out here at
	// all — it needs a Machine, a capability the filesystem or kernel
	// lacks — and becomes Step.Err, which tools report as a failure of the
	// script, never as a result.
	Run func(r *Runner, op Op, fd int) (ret any, err error)
}

// Synopsis returns the op's syntax line: "open PATH FLAGS -> OUT".
func (s OpSpec) Synopsis() string {
	if s.Usage != "" {
		return s.Usage
	}
	parts := []string{s.Name}
	for _, a := range s.Args {
		switch a {
		case ArgOut:
			parts = append(parts, "-> FD2")
		case ArgFlags:
			parts = append(parts, "FLAGS[,...]")
		case ArgWords:
			parts = append(parts, "[WORD...]")
		default:
			parts = append(parts, string(a))
		}
	}
	return strings.Join(parts, " ")
}

var registry = struct {
	sync.RWMutex
	m map[string]OpSpec
}{m: map[string]OpSpec{}}

// Register adds an op to the language. Registering a name twice, an op
// without a name or a handler, or one whose TEXT operand is not last, is a
// programming error and panics. Register from an init function or before
// any script is parsed.
func Register(s OpSpec) {
	if s.Name == "" || s.Run == nil || strings.ContainsAny(s.Name, " \t#") {
		panic(fmt.Sprintf("script: Register: op %q needs a one-word name and a Run", s.Name))
	}
	for i, a := range s.Args {
		if a == ArgText && i != len(s.Args)-1 {
			panic(fmt.Sprintf("script: Register: op %q: TEXT must be the last operand", s.Name))
		}
	}
	for i, a := range s.Args {
		if a == ArgWords && i != len(s.Args)-1 && !(i == len(s.Args)-2 && s.Args[i+1] == ArgOut) {
			panic(fmt.Sprintf("script: Register: op %q: only an OUT may follow WORDS", s.Name))
		}
	}
	if s.UsesFD && (len(s.Args) == 0 || s.Args[0] != ArgFD) {
		panic(fmt.Sprintf("script: Register: op %q: UsesFD needs FD as the first operand", s.Name))
	}
	if s.Group == "" {
		s.Group = "other"
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[s.Name]; dup {
		panic(fmt.Sprintf("script: Register: op %q registered twice", s.Name))
	}
	registry.m[s.Name] = s
}

// Lookup returns the registered op called name.
func Lookup(name string) (OpSpec, bool) {
	registry.RLock()
	defer registry.RUnlock()
	s, ok := registry.m[name]
	return s, ok
}

// Names returns every registered op name, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.m))
	for n := range registry.m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Specs returns every registered op, by group (in groupOrder, then the
// others alphabetically) and name.
func Specs() []OpSpec {
	registry.RLock()
	out := make([]OpSpec, 0, len(registry.m))
	for _, s := range registry.m {
		out = append(out, s)
	}
	registry.RUnlock()
	slices.SortFunc(out, func(a, b OpSpec) int {
		if c := strings.Compare(groupKey(a.Group), groupKey(b.Group)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

var groupOrder = []string{"oracle", "file", "task", "namespace", "kernel", "btrfs"}

func groupKey(g string) string {
	if i := slices.Index(groupOrder, g); i >= 0 {
		return fmt.Sprintf("%d", i)
	}
	return "9" + g
}

var groupTitles = map[string]string{
	"oracle":    "Ops the kernel oracle knows (same syntax, same output)",
	"file":      "More system calls on files and directories",
	"task":      "Tasks: clone, switch, exit",
	"namespace": "Mounts, namespaces and credentials",
	"kernel":    "The machine: sync, crash, checks, faults, more filesystems",
	"btrfs":     "btrfs subvolumes and snapshots",
}

// OracleOp reports whether the kernel oracle knows the op.
func OracleOp(name string) bool { s, _ := Lookup(name); return s.Oracle }

// UsesFD reports whether the op's first operand names an open descriptor.
func UsesFD(name string) bool { s, _ := Lookup(name); return s.UsesFD }

// MachineOp reports whether the op acts on the whole machine (OpSpec.Machine).
func MachineOp(name string) bool { s, _ := Lookup(name); return s.Machine }

// Reference returns the language reference generated from the registry:
// the syntax rules, then every op's synopsis and help, by group. `relinksim
// ops` prints it.
func Reference() string {
	var b strings.Builder
	b.WriteString(`The relinksim op language

One op per line; blank lines and lines starting with # are skipped. Paths
are relative to the root of the filesystem under test (/mnt). FD operands
are names an open or dup gave with "-> NAME"; an op naming a descriptor that
is not open answers EBADF without calling the kernel. TEXT is the rest of the
line: unquoted words (joined by single spaces) or one Go string literal
("two  spaces\nand a #"). Numbers are decimal; MODE is octal. Open FLAGS:
`)
	b.WriteString(strings.Join(openFlagNames(), " "))
	b.WriteString(" (every open adds nonblock, so a fifo never blocks).\n")
	group := ""
	for _, s := range Specs() {
		if s.Group != group {
			group = s.Group
			title := groupTitles[group]
			if title == "" {
				title = group
			}
			fmt.Fprintf(&b, "\n%s:\n\n", title)
		}
		fmt.Fprintf(&b, "  %s\n", s.Synopsis())
		for _, l := range strings.Split(s.Help, "\n") {
			if l != "" {
				fmt.Fprintf(&b, "      %s\n", l)
			}
		}
		if s.Example != "" {
			fmt.Fprintf(&b, "      e.g. %s\n", s.Example)
		}
	}
	return b.String()
}

// nearest returns the registered op name closest to name in edit
// distance, or "" when none is close.
func nearest(name string) string {
	best, bestD := "", len(name)/2+2
	for _, n := range Names() {
		if d := editDistance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
