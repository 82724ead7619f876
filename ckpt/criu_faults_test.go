package ckpt

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// criuFaultPrefix has every kind of remap: the cover letter's file (a
// link-remap, its name taken at restore), a ghost with data, a fifo ghost
// with data and a removed directory (a ghost directory).
const criuFaultPrefix = `open a creat,rdwr -> A
write A foo
link a b
unlink a
open a creat,rdwr -> A2
open g creat,rdwr -> G
write G ghostly
unlink g
mkfifo p
open p rdwr -> P
write P fifodata
unlink p
mkdir d
open d directory -> D
rmdir d`

// names lists every path under /mnt, as the daemon sees it.
func names(t *testing.T, m *script.Machine) []string {
	t.Helper()
	b, err := TakeBackup(Daemon(m.K), "/mnt", BackupCopy, "walk")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range b.Files {
		out = append(out, f.Path)
	}
	return out
}

func criuMachine(t *testing.T, fs string) (*script.Machine, []Target) {
	t.Helper()
	m, err := script.Boot(script.Config{FS: fs, Options: vfs.Options{Era: vfs.Upstream}})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := script.Parse(criuFaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range m.Run(ops) {
		if st.Err != nil || st.Errno != "" {
			t.Fatalf("setup: %s", st.Describe())
		}
	}
	var tg []Target
	for _, ti := range m.Tasks() {
		tg = append(tg, Target{Name: ti.Name, Task: ti.Sys.(*vfs.Task)})
	}
	return m, tg
}

// Every call of a criu dump and of a criu restore fails in turn. A failed
// dump leaves no link-remap and the tasks' files as they were
// (delete_link_remaps); a failed restore keeps every link-remap and
// leaves no ghost (try_clean_remaps(true)) and no restored task, and a
// retry either succeeds or fails as CRIU does, with one of its own
// messages (the names a failed restore linked stay: criu_remap_retained).
// The copy strategy's copies are held to the same: none left after a
// failed restore.
func TestCRIUFaults(t *testing.T) {
	for _, c := range []struct {
		opt    Options
		marker string // in the name of what a failed restore must not leave
	}{
		{Options{Strategy: StrategyCRIU, LinkRemap: true}, ".ghost"},
		{Options{Strategy: StrategyCopy}, ".copy-"},
	} {
		for _, fs := range []string{"tmpfs", "ext4", "btrfs"} {
			t.Run(c.opt.Strategy+"/"+fs, func(t *testing.T) { testRemapFaults(t, fs, c.opt, c.marker) })
		}
	}
}

func testRemapFaults(t *testing.T, fs string, opt Options, marker string) {
	{
		{
			dumps, restores := 0, 0
			for n := 1; ; n++ {
				m, tg := criuMachine(t, fs)
				before := names(t, m)
				o := opt
				o.FailAt = n
				_, _, err := Checkpoint(Daemon(m.K), tg, o)
				if err == nil {
					break
				}
				if !errors.Is(err, vfs.ENOMEM) {
					t.Fatalf("fail=%d: %v, want the injected ENOMEM", n, err)
				}
				if after := names(t, m); !slices.Equal(before, after) {
					t.Errorf("fail=%d: the failed dump left %v, want %v", n, after, before)
				}
				if st, err := tg[0].Task.Fstat(0); err != nil || st.Nlink != 1 || st.Size != 3 {
					t.Errorf("fail=%d: A is %+v (%v) after the failed dump", n, st, err)
				}
				if err := finishMachine(m); err != nil {
					t.Fatalf("fail=%d: %v", n, err)
				}
				dumps++
			}
			for n := 1; ; n++ {
				m, tg := criuMachine(t, fs)
				img, _, err := Checkpoint(Daemon(m.K), tg, opt)
				if err != nil {
					t.Fatal(err)
				}
				tasks := len(m.K.Tasks())
				for _, x := range tg {
					x.Task.Exit()
				}
				tasks -= len(tg)
				o := Options{FailAt: n}
				_, _, err = Restart(Daemon(m.K), img, o)
				if err == nil {
					break
				}
				if !errors.Is(err, vfs.ENOMEM) {
					t.Fatalf("fail=%d: %v, want the injected ENOMEM", n, err)
				}
				after := names(t, m)
				for _, r := range img.Remaps {
					if r.Kind == RemapLinked && !slices.Contains(after, strings.TrimPrefix(r.Path, "/mnt/")) {
						t.Errorf("fail=%d: the failed restore removed the link-remap %s: %v", n, r.Path, after)
					}
				}
				for _, p := range after {
					if strings.Contains(p, marker) {
						t.Errorf("fail=%d: the failed restore left %s", n, p)
					}
				}
				if got := len(m.K.Tasks()); got != tasks {
					t.Errorf("fail=%d: %d tasks after the failed restore, want %d", n, got, tasks)
				}
				if _, _, err := Restart(Daemon(m.K), img, Options{}); err != nil {
					var ce *CRIUError
					if !errors.As(err, &ce) {
						t.Errorf("fail=%d: the retry fails without a CRIU message: %v", n, err)
					}
				}
				if err := finishMachine(m); err != nil {
					t.Fatalf("fail=%d: %v", n, err)
				}
				restores++
			}
			if dumps < 10 || restores < 10 {
				t.Fatalf("only %d dump and %d restore calls could fail", dumps, restores)
			}
			t.Logf("%d failed dumps, %d failed restores checked", dumps, restores)
		}
	}
}
