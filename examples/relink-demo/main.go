package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/relinksim/relinksim/ckpt"
	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

func main() {
	if err := demo(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "relink-demo:", err)
		os.Exit(1)
	}
}

// size is the size of the file at "a" in the cover letter's example. The
// simulated file is sparse (ftruncate): nothing here reads it, which is
// the point.
const size = 1 << 30

// machine is one simulated kernel with an ext4 filesystem on /mnt (the
// series patched ext3/4 first, and mkfs.ext4 makes the lost+found the
// checkpoint relinks into), and the container's one task, which runs the
// cover letter's program, narrating what it does.
type machine struct {
	m  *script.Machine
	t  *vfs.Task
	w  io.Writer
	ev []vfs.Event
}

// booted lists every kernel the demo booted; demo shuts them all down and
// reports leaks, as every test of the project does.
var booted []*vfs.Kernel

func boot(w io.Writer, era vfs.Era) (*machine, error) {
	sm, err := script.Boot(script.Config{Options: vfs.Options{Era: era}, FS: "ext4"})
	if err != nil {
		return nil, err
	}
	booted = append(booted, sm.K)
	// The program is a task of its own (the container), forked from init;
	// the checkpoint daemon every Machine boots checkpoints and restarts
	// it.
	m := &machine{m: sm, t: sm.Init().Fork(), w: w}
	sm.K.SetTracer(func(e vfs.Event) { m.ev = append(m.ev, e) })
	if err := m.t.Chdir("/mnt"); err != nil {
		return nil, err
	}
	m.ev = nil
	return m, nil
}

// traced are the kernel functions whose trace lines matter to the story.
var traced = []string{"fs/namei.c:vfs_link", "fs/namei.c:vfs_mkdir", "fs/namei.c:vfs_unlink", "fs/namei.c:vfs_rmdir"}

// say prints a call and its result, then the kernel functions it went
// through that matter to the story.
func (m *machine) say(call string, result any, err error) {
	res := fmt.Sprint(result)
	if err != nil {
		res = "-1 " + vfs.ErrnoName(err)
	}
	fmt.Fprintf(m.w, "  %-48s = %s\n", call, res)
	for _, e := range m.ev {
		for _, f := range traced {
			if strings.HasPrefix(e.Func, f) {
				fmt.Fprintf(m.w, "  %-48s   %s: %s\n", "", e.Func, e.Msg)
				break
			}
		}
	}
	m.ev = nil
}

// head reads the first n bytes of path, as head -c does.
func (m *machine) head(path string, n int) string {
	fd, err := m.t.Open(path, vfs.O_RDONLY, 0)
	if err != nil {
		return "-1 " + vfs.ErrnoName(err)
	}
	defer m.t.Close(fd)
	buf := make([]byte, n)
	k, err := m.t.Pread(fd, buf, 0)
	if err != nil {
		return "-1 " + vfs.ErrnoName(err)
	}
	return fmt.Sprintf("%q", buf[:k])
}

// ls lists the names in dir but . and ..
func (m *machine) ls(dir string) string {
	fd, err := m.t.Open(dir, vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	if err != nil {
		return "-1 " + vfs.ErrnoName(err)
	}
	defer m.t.Close(fd)
	ents, err := m.t.ReadDir(fd)
	if err != nil {
		return "-1 " + vfs.ErrnoName(err)
	}
	var names []string
	for _, e := range ents {
		if e.Name != "." && e.Name != ".." {
			names = append(names, e.Name)
		}
	}
	return "[" + strings.Join(names, " ") + "]"
}

func (m *machine) nlink(fd int) uint32 {
	st, err := m.t.Fstat(fd)
	if err != nil {
		return 0
	}
	return st.Nlink
}

// program runs the cover letter's program up to the checkpoint and returns
// a_fd.
func (m *machine) program() (int, error) {
	t := m.t
	aFD, err := t.Open("a", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	m.say(`a_fd = open("a", O_CREAT|O_RDWR)`, aFD, err)
	if err != nil {
		return -1, err
	}
	n, err := t.Write(aFD, []byte("foo"))
	m.say(`write(a_fd, "foo")`, n, err)
	err = t.Ftruncate(aFD, size)
	m.say(`ftruncate(a_fd, 1 GiB)`, 0, err)
	err = t.Link("a", "b")
	m.say(`link("a", "b")`, 0, err)
	err = t.Unlink("a")
	m.say(`unlink("a")`, 0, err)
	fd, err := t.Creat("a", 0o644)
	m.say(`creat("a")`, fd, err)
	return aFD, err
}

// checkpoint runs sys_checkpoint of the program's task with strategy, as
// the machine's checkpoint daemon.
func (m *machine) checkpoint(strategy string) (*ckpt.Image, ckpt.Summary, error) {
	return ckpt.Checkpoint(ckpt.Daemon(m.m.K), []ckpt.Target{{Name: "program", Task: m.t}}, ckpt.Options{Strategy: strategy})
}

func demo(w io.Writer) (err error) {
	booted = nil
	defer func() {
		for _, k := range booted {
			if leakErr := k.Shutdown(); leakErr != nil && err == nil {
				err = leakErr
			}
		}
	}()
	fmt.Fprintln(w, "relink-demo: why checkpoint/restart relinks open, unlinked files")
	fmt.Fprintln(w, "(the example of Matt Helsley's 2011 series, on a simulated 2.6.38 kernel")
	fmt.Fprintln(w, "with the series applied, era relink2011, ext4 on /mnt)")
	fmt.Fprintln(w)

	m, err := boot(w, vfs.Relink2011)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "1. The program, up to the checkpoint")
	aFD, err := m.program()
	if err != nil {
		return err
	}
	link, _ := m.t.Readlink(fmt.Sprintf("/proc/self/fd/%d", aFD))
	fmt.Fprintf(w, "   a_fd's path is now %q: its dentry was unlinked, but its inode\n", link)
	fmt.Fprintf(w, "   lives on as \"b\" (nlink %d). The path \"a\" names a different, new file.\n\n", m.nlink(aFD))

	fmt.Fprintln(w, "2. A naive restart would reopen the path a_fd was opened with")
	fd, err := m.t.Open("a", vfs.O_RDWR, 0)
	m.say(`fd = open("a", O_RDWR)`, fd, err)
	n, err := m.t.Write(fd, []byte("bar"))
	m.say(`write(fd, "bar")`, n, err)
	m.say(`head -c 6 b`, m.head("b", 6), nil)
	fmt.Fprintln(w, "   The write after the restart went to the new \"a\", never to b's inode: wrong file.")
	fmt.Fprintln(w, "   Copying a_fd's contents into the image instead would read 1 GiB at the")
	fmt.Fprintln(w, "   checkpoint, write it back at the restart, and still lose the sharing with b.")
	fmt.Fprintln(w)

	fmt.Fprintln(w, "3. The series' checkpoint relinks a_fd's inode; its restart reopens that name")
	m2, err := boot(w, vfs.Relink2011)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "   (same program, fresh machine)")
	var discard strings.Builder
	m2.w = &discard
	aFD2, err := m2.program()
	if err != nil {
		return err
	}
	m2.w = w
	img, sum, err := m2.checkpoint(ckpt.StrategyRelink)
	m2.say("sys_checkpoint(the program)", sum, err)
	if err != nil {
		return err
	}
	for _, f := range img.Files {
		if f.Relinked != "" {
			fmt.Fprintf(w, "   the image records a_fd as %q,\n", f.Path)
			fmt.Fprintf(w, "   relinked at %q\n", f.Relinked)
		}
	}
	m2.say("ls lost+found/checkpoint-1", m2.ls("lost+found/checkpoint-1"), nil)
	fmt.Fprintf(w, "   data bytes moved by the checkpoint: %d, for a file of %d bytes.\n", sum.DataBytes, size)
	fmt.Fprintln(w, "   A backup or snapshot of the filesystem taken now holds the file under its")
	fmt.Fprintln(w, "   new name: copying it is the backup's business, and a btrfs snapshot or a")
	fmt.Fprintln(w, "   cluster filesystem would not copy it at all.")
	fmt.Fprintln(w)

	m2.t.Exit()
	m2.say("kill the program (it exits, closing a_fd)", 0, nil)
	restored, rsum, err := ckpt.Restart(ckpt.Daemon(m2.m.K), img, ckpt.Options{})
	m2.say("sys_restart(the image)", fmt.Sprintf("tasks=%d files=%d data-bytes=%d", rsum.Tasks, rsum.Files, rsum.DataBytes), err)
	if err != nil {
		return err
	}
	m2.t = restored[0].Task
	link, _ = m2.t.Readlink(fmt.Sprintf("/proc/self/fd/%d", aFD2))
	fmt.Fprintf(w, "   a_fd (%d again) is %q\n", aFD2, link)
	n, err = m2.t.Write(aFD2, []byte("bar"))
	m2.say(`write(a_fd, "bar")`, n, err)
	m2.say(`head -c 6 b`, m2.head("b", 6), nil)
	m2.say("ls lost+found/checkpoint-1", m2.ls("lost+found/checkpoint-1"), nil)
	fmt.Fprintf(w, "   data bytes moved by the restart: %d.\n", rsum.DataBytes)
	fmt.Fprintln(w, "   The restarted write reached b's inode: relinking kept the sharing, with")
	fmt.Fprintln(w, "   IO independent of the file's size. (relink2011 leaves the empty")
	fmt.Fprintln(w, "   checkpoint-1 directory behind; the fixed code removes it.)")
	fmt.Fprintln(w)

	fmt.Fprintln(w, "4. Now \"b\" is unlinked too: the inode has no name at all (nlink 0)")
	fmt.Fprintln(w, "   and lives only through a_fd. Can the checkpoint still give it a name?")
	type variant struct {
		title    string
		era      vfs.Era
		strategy string
	}
	variants := []variant{
		{"relink2011, relink", vfs.Relink2011, ckpt.StrategyRelink},
		{"upstream, relink", vfs.Upstream, ckpt.StrategyRelink},
		{"upstream, relink-upstream", vfs.Upstream, ckpt.StrategyRelinkUpstream},
	}
	var calls []string
	var rows [][]string
	var notes []string
	for vi, v := range variants {
		me, err := boot(&discard, v.era)
		if err != nil {
			return err
		}
		a, err := me.program()
		if err != nil {
			return err
		}
		var out []string
		record := func(call string, res string) {
			if vi == 0 {
				calls = append(calls, call)
			}
			out = append(out, res)
		}
		err = me.t.Unlink("b")
		record(`unlink("b")`, result(err))
		record(`fstat(a_fd).st_nlink`, fmt.Sprint(me.nlink(a)))
		me.ev = nil
		_, sum, err := me.checkpoint(v.strategy)
		if err != nil {
			record("sys_checkpoint", result(err))
			for _, e := range me.ev {
				if e.Func == "fs/namei.c:vfs_link" {
					notes = append(notes, fmt.Sprintf("%s: vfs_link: %s", v.title, e.Msg))
				}
			}
		} else {
			record("sys_checkpoint", fmt.Sprintf("relinked=%d data-bytes=%d", sum.Relinked, sum.DataBytes))
		}
		record(`fstat(a_fd).st_nlink`, fmt.Sprint(me.nlink(a)))
		rows = append(rows, out)
	}
	w1 := 0
	for _, c := range calls {
		w1 = max(w1, len(c))
	}
	widths := make([]int, len(variants))
	for i, v := range variants {
		widths[i] = len(v.title)
		for _, r := range rows[i] {
			widths[i] = max(widths[i], len(r))
		}
	}
	line := func(first string, cells []string) {
		s := fmt.Sprintf("   %-*s", w1, first)
		for i, c := range cells {
			s += fmt.Sprintf("  %-*s", widths[i], c)
		}
		fmt.Fprintln(w, strings.TrimRight(s, " "))
	}
	var titles []string
	for _, v := range variants {
		titles = append(titles, v.title)
	}
	line("", titles)
	for i, c := range calls {
		var cells []string
		for j := range variants {
			cells = append(cells, rows[j][i])
		}
		line(c, cells)
	}
	for _, n := range notes {
		fmt.Fprintf(w, "   (%s)\n", n)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "   The 2011 VFS had no nlink check, so the inode came back under a name the")
	fmt.Fprintln(w, "   checkpoint image can record and a filesystem snapshot can keep. Since")
	fmt.Fprintln(w, "   2.6.39 vfs_link refuses an nlink-0 inode unless it is an unlinked")
	fmt.Fprintln(w, "   O_TMPFILE (I_LINKABLE): the series' code fails on today's kernel, and")
	fmt.Fprintln(w, "   CRIU copies such a file's contents into the image instead, IO")
	fmt.Fprintln(w, "   proportional to the file's size. relink-upstream is this simulator's port")
	fmt.Fprintln(w, "   of the series (not in Linux): it marks the orphan I_LINKABLE first.")
	return nil
}

func result(err error) string {
	if err != nil {
		return "-1 " + vfs.ErrnoName(err)
	}
	return "0"
}
