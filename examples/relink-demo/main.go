package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/relinksim/relinksim/vfs"
)

func main() {
	if err := demo(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "relink-demo:", err)
		os.Exit(1)
	}
}

// machine is one simulated kernel with a tmpfs on /mnt, narrating what it
// does.
type machine struct {
	k  *vfs.Kernel
	t  *vfs.Task
	w  io.Writer
	ev []vfs.Event
}

// booted lists every kernel the demo booted; demo shuts them all down and
// reports leaks, as every test of the project does.
var booted []*vfs.Kernel

func boot(w io.Writer, era vfs.Era) (*machine, error) {
	k := vfs.NewKernel(vfs.Options{Era: era})
	booted = append(booted, k)
	m := &machine{k: k, t: k.Init(), w: w}
	k.SetTracer(func(e vfs.Event) { m.ev = append(m.ev, e) })
	if err := m.t.Mkdir("/mnt", 0o755); err != nil {
		return nil, err
	}
	if err := m.t.Mount("none", "/mnt", "tmpfs", 0, ""); err != nil {
		return nil, err
	}
	if err := m.t.Chdir("/mnt"); err != nil {
		return nil, err
	}
	m.ev = nil
	return m, nil
}

// say prints a call and its result, then the kernel functions it went
// through that matter to the story.
func (m *machine) say(call string, result any, err error) {
	res := fmt.Sprint(result)
	if err != nil {
		res = "-1 " + vfs.ErrnoName(err)
	}
	fmt.Fprintf(m.w, "  %-48s = %s\n", call, res)
	for _, e := range m.ev {
		if strings.HasPrefix(e.Func, "fs/namei.c:vfs_link") || e.Func == "fs/inode.c:evict" {
			fmt.Fprintf(m.w, "  %-48s   %s: %s\n", "", e.Func, e.Msg)
		}
	}
	m.ev = nil
}

func (m *machine) cat(path string) string {
	fd, err := m.t.Open(path, vfs.O_RDONLY, 0)
	if err != nil {
		return vfs.ErrnoName(err)
	}
	defer m.t.Close(fd)
	buf := make([]byte, 64)
	n, err := m.t.Read(fd, buf)
	if err != nil {
		return vfs.ErrnoName(err)
	}
	return fmt.Sprintf("%q", buf[:n])
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
	err = t.Link("a", "b")
	m.say(`link("a", "b")`, 0, err)
	err = t.Unlink("a")
	m.say(`unlink("a")`, 0, err)
	fd, err := t.Creat("a", 0o644)
	m.say(`creat("a")`, fd, err)
	return aFD, err
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
	fmt.Fprintln(w, "(the example of Matt Helsley's 2011 series, on a simulated upstream kernel, tmpfs)")
	fmt.Fprintln(w)

	m, err := boot(w, vfs.Upstream)
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

	fmt.Fprintln(w, "2. A naive restart reopens the path a_fd was opened with")
	fd, err := m.t.Open("a", vfs.O_RDWR, 0)
	m.say(`fd = open("a", O_RDWR)`, fd, err)
	n, err := m.t.Write(fd, []byte("bar"))
	m.say(`write(fd, "bar")`, n, err)
	m.say(`cat b`, m.cat("b"), nil)
	fmt.Fprintln(w, "   The write after the restart went to the new \"a\", never to b's inode: wrong file.")
	fmt.Fprintln(w)

	fmt.Fprintln(w, "3. Relinking: give a_fd's inode a name of its own, then reopen that name")
	m2, err := boot(w, vfs.Upstream)
	if err != nil {
		return err
	}
	m2.ev = nil
	fmt.Fprintln(w, "   (same program, fresh machine)")
	var discard strings.Builder
	m2.w = &discard
	aFD2, err := m2.program()
	if err != nil {
		return err
	}
	m2.w = w
	err = m2.t.Linkat(vfs.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", aFD2), vfs.AT_FDCWD, "relinked-1", vfs.AT_SYMLINK_FOLLOW)
	m2.say(`linkat("/proc/self/fd/N", "relinked-1", FOLLOW)`, 0, err)
	fd, err = m2.t.Open("relinked-1", vfs.O_RDWR|vfs.O_APPEND, 0)
	m2.say(`fd = open("relinked-1", O_RDWR|O_APPEND)`, fd, err)
	n, err = m2.t.Write(fd, []byte("bar"))
	m2.say(`write(fd, "bar")`, n, err)
	m2.say(`cat b`, m2.cat("b"), nil)
	fmt.Fprintln(w, "   The restarted write reached b's inode: relinking preserved the sharing,")
	fmt.Fprintln(w, "   with IO independent of the file's size.")
	fmt.Fprintln(w)

	fmt.Fprintln(w, "4. Now \"b\" is unlinked too: the inode has no name at all (nlink 0)")
	fmt.Fprintln(w, "   and lives only through a_fd. Can it be given a name again?")
	eras := []vfs.Era{vfs.Relink2011, vfs.Upstream}
	rows := map[vfs.Era][]string{}
	var calls []string
	for _, era := range eras {
		me, err := boot(&discard, era)
		if err != nil {
			return err
		}
		a, err := me.program()
		if err != nil {
			return err
		}
		var out []string
		record := func(call string, res string) {
			if era == eras[0] {
				calls = append(calls, call)
			}
			out = append(out, res)
		}
		me.ev = nil
		err = me.t.Unlink("b")
		record(`unlink("b")`, result(err))
		record(`fstat(a_fd).st_nlink`, fmt.Sprint(me.nlink(a)))
		me.ev = nil
		err = me.t.Linkat(vfs.AT_FDCWD, fmt.Sprintf("/proc/self/fd/%d", a), vfs.AT_FDCWD, "relinked-1", vfs.AT_SYMLINK_FOLLOW)
		res := result(err)
		for _, e := range me.ev {
			if e.Func == "fs/namei.c:vfs_link" {
				res += " (" + e.Msg + ")"
				break
			}
		}
		record(`linkat("/proc/self/fd/N", "relinked-1", FOLLOW)`, res)
		record(`fstat(a_fd).st_nlink`, fmt.Sprint(me.nlink(a)))
		rows[era] = out
	}
	w1, w2 := 0, len("relink2011 (2.6.38 + the series)")
	for i, c := range calls {
		w1 = max(w1, len(c))
		w2 = max(w2, len(rows[eras[0]][i]))
	}
	fmt.Fprintf(w, "   %-*s  %-*s  %s\n", w1, "", w2, "relink2011 (2.6.38 + the series)", "upstream (6.18)")
	for i, c := range calls {
		fmt.Fprintf(w, "   %-*s  %-*s  %s\n", w1, c, w2, rows[eras[0]][i], rows[eras[1]][i])
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "   The 2011 VFS had no nlink check, so the inode came back under a name the")
	fmt.Fprintln(w, "   checkpoint image can record and a filesystem snapshot can keep. Since")
	fmt.Fprintln(w, "   2.6.39 vfs_link refuses an nlink-0 inode (unless it is an unlinked")
	fmt.Fprintln(w, "   O_TMPFILE, I_LINKABLE), so today CRIU must copy such a file's contents")
	fmt.Fprintln(w, "   into the image: IO proportional to the file's size.")
	return nil
}

func result(err error) string {
	if err != nil {
		return "-1 " + vfs.ErrnoName(err)
	}
	return "0"
}
