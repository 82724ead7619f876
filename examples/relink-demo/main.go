package main

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/relinksim/relinksim/ckpt"
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// story is the cover letter's story as an op-language script: the demo
// runs it, and so does relinksim run -fs ext4 examples/relink-demo/story.txt.
//
//go:embed story.txt
var story string

// storyCheckpoint is the story's checkpoint line; the strategy table runs
// the story again with it replaced.
const storyCheckpoint = "checkpoint relink-upstream -> I"

func main() {
	if err := demo(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "relink-demo:", err)
		os.Exit(1)
	}
}

// calls names the story's ops as the cover letter writes them.
var calls = map[string]string{
	"open a creat,rdwr -> A_FD":          `a_fd = open("a")`,
	"fill A_FD 0 1048576":                "1 MiB of data",
	"write A_FD foo":                     `write(a_fd, "foo")`,
	"link a b":                           `link("a", "b")`,
	"unlink a":                           `unlink("a")`,
	"open a creat,wronly,trunc -> NEW_A": `creat("a")`,
	"fill TMP 0 65536":                   "64 KiB of data",
	"mkdir dev":                          "/mnt/dev holds stdin, stdout, stderr",
	"kill":                               "every fd closed",
	"write A_FD bar":                     `write(a_fd, "bar")`,
	"read B 6":                           "b's first 6 bytes",
	"check":                              "no invariant violated",
}

// boot boots the upstream kernel with ext4 on /mnt (mkfs.ext4 makes the
// lost+found the checkpoint relinks into).
func boot() (*script.Machine, error) {
	return script.Boot(script.Config{Options: vfs.Options{Era: vfs.Upstream}, FS: "ext4"})
}

// finish checks the kernel's invariants and shuts it down, reporting any
// reference left (a leak), as every test of the project does.
func finish(m *script.Machine) error {
	if v := m.Check(); len(v) > 0 {
		return fmt.Errorf("invariants violated: %v", v)
	}
	return m.K.Shutdown()
}

func demo(w io.Writer) error {
	fmt.Fprintln(w, "relink-demo: checkpoint/restart of open, unlinked files")
	fmt.Fprintln(w, "(Matt Helsley's 2011 series, ported to today's kernel as relink-upstream;")
	fmt.Fprintln(w, " ext4 on /mnt; the ops are examples/relink-demo/story.txt)")
	if err := tell(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := strategies(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "To open the same story as a lab notebook:")
	fmt.Fprintln(w, "  go run ./cmd/relinksim notebook -fs ext4 -o story.html examples/relink-demo/story.txt")
	return nil
}

// maxWidth is the widest line tell prints with a note beside the result:
// a longer note goes on a line of its own.
const maxWidth = 96

// tell runs the story on a fresh machine and prints each op with its
// result, the fd numbers the kernel gave, and the story's narration
// (its "#:" lines).
func tell(w io.Writer) error {
	ops, err := script.ParseFile("story.txt", story)
	if err != nil {
		return err
	}
	m, err := boot()
	if err != nil {
		return err
	}
	byLine := map[int]script.Op{}
	for _, op := range ops {
		byLine[op.Line] = op
	}
	inos := map[int64]string{} // what the story's ino ops named
	for i, line := range strings.Split(story, "\n") {
		if text, ok := strings.CutPrefix(line, "#:"); ok {
			text = strings.TrimSpace(text)
			if text != "" && text[0] >= '1' && text[0] <= '9' {
				fmt.Fprintf(w, "\n%s\n", text) // a numbered part
			} else {
				fmt.Fprintf(w, "  (%s)\n", text)
			}
			continue
		}
		op, ok := byLine[i+1]
		if !ok {
			continue
		}
		st := m.Step(op)
		if st.Err != nil || st.Errno != "" {
			return fmt.Errorf("story.txt:%d: %s: %v%s", st.Line, st.Op, st.Err, st.Errno)
		}
		res, note := result(m, op, st, inos)
		if c := calls[op.Src]; c != "" {
			note = strings.TrimSpace(c + "; " + note)
			note = strings.TrimSuffix(note, ";")
		}
		s := fmt.Sprintf("  %-38s %-11s", op.Src, res)
		if len(res) > 11 {
			s = fmt.Sprintf("  %-38s %s", op.Src, res)
		}
		first, rest, _ := strings.Cut(note, "\n")
		if first != "" && len(s)+2+len(first) > maxWidth {
			fmt.Fprintln(w, strings.TrimRight(s, " "))
			s = "  "
		}
		if first != "" {
			s += "  " + first
		}
		fmt.Fprintln(w, strings.TrimRight(s, " "))
		if rest != "" {
			fmt.Fprintln(w, rest)
		}
	}
	return finish(m)
}

// result formats a step's result: the fd an open got, an orphan chain
// with its inodes named, a string quoted; and a note to print beside it.
func result(m *script.Machine, op script.Op, st script.Step, inos map[int64]string) (res, note string) {
	switch op.Name {
	case "open":
		fd, _ := m.FD(op.Out)
		return fmt.Sprintf("fd %d", fd), ""
	case "ino":
		if n, ok := st.Ret.(int64); ok {
			inos[n] = op.Path
		} else if n, ok := st.Ret.(uint64); ok {
			inos[int64(n)] = op.Path
		}
	case "restart":
		var fds []string
		for _, name := range m.FDNames() {
			fd, _ := m.FD(name)
			fds = append(fds, fmt.Sprintf("%s=%d", name, fd))
		}
		return fmt.Sprint(st.Ret), "\n    the same fds again: " + strings.Join(fds, " ")
	case "orphans":
		names, _ := st.Ret.([]string)
		var notes []string
		for _, n := range names {
			if fd, ok := m.FD(n); ok {
				notes = append(notes, fmt.Sprintf("%s = fd %d", n, fd))
			}
			var ino int64
			if _, err := fmt.Sscanf(n, "ino:%d", &ino); err == nil && inos[ino] != "" {
				notes = append(notes, fmt.Sprintf("%s = %s (removed, pinned by %s in it)", n, inos[ino], strings.Join(openIn(m, inos[ino]), " and ")))
			}
		}
		if len(names) == 0 {
			notes = append(notes, "empty: every inode has a name")
		}
		return "[" + strings.Join(names, " ") + "]", strings.Join(notes, "; ")
	}
	switch r := st.Ret.(type) {
	case nil:
		return "", ""
	case string:
		if op.Name == "checkpoint" {
			return r, ""
		}
		return fmt.Sprintf("%q", r), ""
	case []string:
		return "[" + strings.Join(r, " ") + "]", ""
	}
	return fmt.Sprint(st.Ret), ""
}

// openIn names the descriptors whose file's name (its /proc/self/fd link)
// is in the directory dir.
func openIn(m *script.Machine, dir string) []string {
	var out []string
	for _, name := range m.FDNames() {
		fd, _ := m.FD(name)
		link, err := m.Init().Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
		if err == nil && strings.HasPrefix(link, m.Path(dir)+"/") {
			out = append(out, name)
		}
	}
	return out
}

// strategy is a row of the strategy table: the checkpoint op's words.
type strategy struct {
	title, words string
}

var table = []strategy{
	{"relink-upstream", ckpt.StrategyRelinkUpstream},
	{"criu (link-remap)", ckpt.StrategyCRIU + " link-remap=1"},
	{"handle", ckpt.StrategyHandle},
	{"copy", ckpt.StrategyCopy},
	{"relink (2011 code)", ckpt.StrategyRelink},
}

// strategies runs the story once per strategy, each on a machine of its
// own, and prints the data bytes the kernel moved at the checkpoint and
// the restart (its IO counters) and whether the write through a_fd
// reached b.
func strategies(w io.Writer) error {
	fmt.Fprintln(w, "5. The same story under each strategy: file data moved, in bytes")
	fmt.Fprintf(w, "  %-19s %-11s %-11s %s\n", "strategy", "checkpoint", "restart", "write reaches b")
	for _, s := range table {
		row, err := runStrategy(s)
		if err != nil {
			return fmt.Errorf("%s: %w", s.title, err)
		}
		fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  %-19s %s", s.title, row), " "))
	}
	fmt.Fprintln(w, "  criu copies the orphan into the image (a ghost) and links a remap for")
	fmt.Fprintln(w, "  a_fd; handle's handle goes stale when kill frees the orphan; copy copies")
	fmt.Fprintln(w, "  both files, so the restored a_fd is a new inode; the 2011 code cannot")
	fmt.Fprintln(w, "  link an nlink-0 inode on today's kernel (vfs_link: ENOENT).")
	return nil
}

// runStrategy runs the story with its checkpoint op replaced and returns
// its row of the table.
func runStrategy(s strategy) (string, error) {
	src := strings.Replace(story, storyCheckpoint, "checkpoint "+s.words+" -> I", 1)
	ops, err := script.ParseFile("story.txt", src)
	if err != nil {
		return "", err
	}
	m, err := boot()
	if err != nil {
		return "", err
	}
	ckptBytes, restartBytes, reaches := "", "", "-"
	for _, op := range ops {
		st := m.Step(op)
		if st.Err != nil {
			return "", fmt.Errorf("story.txt:%d: %s: %v", st.Line, st.Op, st.Err)
		}
		// Only a failed checkpoint or restart ends the run: the
		// story's look at lost+found fails where nothing was relinked.
		failed := st.Errno != "" && (op.Name == "checkpoint" || op.Name == "restart")
		switch op.Name {
		case "checkpoint":
			ckptBytes = dataBytes(st)
		case "restart":
			restartBytes = dataBytes(st)
		case "read":
			reaches = map[bool]string{true: "yes", false: "no"}[st.Ret == "foobar"]
		}
		if failed {
			if op.Name == "checkpoint" {
				restartBytes = "-"
			}
			break
		}
	}
	row := fmt.Sprintf("%-11s %-11s %s", ckptBytes, restartBytes, reaches)
	return row, finish(m)
}

// dataBytes reads the data-bytes=N a checkpoint or restart op returns,
// or the errno it failed with.
func dataBytes(st script.Step) string {
	if st.Errno != "" {
		return st.Errno
	}
	for _, f := range strings.Fields(fmt.Sprint(st.Ret)) {
		if n, ok := strings.CutPrefix(f, "data-bytes="); ok {
			return n
		}
	}
	return "?"
}
