package script_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// bootRelink boots fs under era with relink=first on /mnt and mounts its
// source again on /mnt/m2 with relink=second.
func bootRelink(t *testing.T, era vfs.Era, fs string) (*script.Machine, script.Step) {
	t.Helper()
	m, err := script.Boot(script.Config{Options: vfs.Options{Era: era}, FS: fs, MountOptions: "relink=first"})
	if err != nil {
		t.Fatal(err)
	}
	var last script.Step
	for _, src := range []string{"mkdir m2", "mount-dev m2 relink=second"} {
		op, err := script.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		last = m.Step(op[0])
		if last.Err != nil {
			t.Fatalf("%s: %v", src, last.Err)
		}
	}
	return m, last
}

func relinkLines(m *script.Machine) []string {
	var out []string
	for _, l := range m.Init().MountInfo() {
		if strings.Contains(l, " /mnt") {
			out = append(out, l)
		}
	}
	return out
}

// Under relink2011 a second mount of the same device overwrites
// s_relink_dir without freeing it: the shutdown's leak report names the
// first string, and nothing else.
func TestRelinkOption2011LeaksOverwrittenString(t *testing.T) {
	for _, fs := range []string{"ext4", "btrfs"} {
		t.Run(fs, func(t *testing.T) {
			m, st := bootRelink(t, vfs.Relink2011, fs)
			if st.Errno != "" {
				t.Fatalf("second mount: %s", st.Errno)
			}
			for _, l := range relinkLines(m) {
				if !strings.Contains(l, ",relink=second") {
					t.Errorf("mount line %q: want the second value on every mount of the superblock", l)
				}
			}
			err := m.K.Shutdown()
			var le *vfs.LeakError
			if !errors.As(err, &le) {
				t.Fatalf("Shutdown = %v, want a leak report", err)
			}
			want := []string{`relink_dir "first" of ` + fs + " /dev/loop0"}
			var got []string
			for _, o := range le.Objects {
				got = append(got, o.Kind+" "+o.Desc)
			}
			if !slices.Equal(got, want) {
				t.Errorf("leaked %q, want %q", got, want)
			}
		})
	}
}

// tmpfs makes a new superblock for every mount, so even relink2011 has
// nothing to overwrite there.
func TestRelinkOption2011TmpfsDoesNotLeak(t *testing.T) {
	m, st := bootRelink(t, vfs.Relink2011, "tmpfs")
	if st.Errno != "" {
		t.Fatalf("second mount: %s", st.Errno)
	}
	want := []string{"none /mnt tmpfs rw,relink=first,relatime 0 0", "none /mnt/m2 tmpfs rw,relink=second,relatime 0 0"}
	if got := relinkLines(m); !slices.Equal(got, want) {
		t.Errorf("mounts %q, want %q", got, want)
	}
	vfstest.Finish(t, m.K)
}

// Under relink2011-fixed the second mount's value is ignored, both mounts
// show the first, and nothing leaks.
func TestRelinkOptionFixedKeepsFirstValue(t *testing.T) {
	for _, fs := range []string{"ext4", "btrfs"} {
		t.Run(fs, func(t *testing.T) {
			m, st := bootRelink(t, vfs.Relink2011Fixed, fs)
			if st.Errno != "" {
				t.Fatalf("second mount: %s", st.Errno)
			}
			lines := relinkLines(m)
			if len(lines) != 2 {
				t.Fatalf("mounts %q, want two", lines)
			}
			for _, l := range lines {
				if !strings.Contains(l, ",relink=first") {
					t.Errorf("mount line %q: want the first value", l)
				}
			}
			if got := m.Superblock().RelinkDir(); got != "first" {
				t.Errorf("RelinkDir = %q, want first", got)
			}
			vfstest.Finish(t, m.K)
		})
	}
}

// Under upstream relink= reaches the filesystem, which refuses it, as
// Linux 6.18 does (script/testdata/scenarios/relink-option-unknown).
func TestRelinkOptionUpstreamEINVAL(t *testing.T) {
	for _, fs := range []string{"tmpfs", "ext4", "btrfs"} {
		t.Run(fs, func(t *testing.T) {
			if _, err := script.Boot(script.Config{FS: fs, MountOptions: "relink=first"}); vfs.ErrnoOf(err) != vfs.EINVAL {
				t.Errorf("first mount with relink=: %v, want EINVAL", err)
			}
			m, err := script.Boot(script.Config{FS: fs})
			if err != nil {
				t.Fatal(err)
			}
			defer vfstest.Finish(t, m.K)
			for _, src := range []string{"mkdir m2", "mount-dev m2 relink=second"} {
				op, _ := script.Parse(src)
				st := m.Step(op[0])
				if src != "mkdir m2" && st.Errno != "EINVAL" {
					t.Errorf("%s: %s, want EINVAL", src, st.Describe())
				}
			}
		})
	}
}

// relink2011-fixed shows the value as seq_show_option does; relink2011 as
// seq_puts did (tmpfs: every mount-dev is a new superblock).
func TestRelinkOptionShowEscaping(t *testing.T) {
	for _, c := range []struct {
		era  vfs.Era
		want string
	}{
		{vfs.Relink2011Fixed, `none /mnt/m2 tmpfs rw,relink=a\040b\011c\134d,relatime 0 0`},
		{vfs.Relink2011, "none /mnt/m2 tmpfs rw,relink=a b\tc\\d,relatime 0 0"},
	} {
		era, want := c.era, c.want
		m, err := script.Boot(script.Config{Options: vfs.Options{Era: era}})
		if err != nil {
			t.Fatal(err)
		}
		ops, err := script.Parse("mkdir m2\nmount-dev m2 \"relink=a b\\tc\\\\d\"\n")
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range m.Run(ops) {
			if st.Err != nil || st.Errno != "" {
				t.Fatalf("%s: %s", era, st.Describe())
			}
		}
		if got := relinkLines(m); len(got) != 2 || got[1] != want {
			t.Errorf("%s: mounts %q, want second line %q", era, got, want)
		}
		vfstest.Finish(t, m.K)
	}
}
