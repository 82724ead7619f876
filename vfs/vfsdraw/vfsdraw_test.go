package vfsdraw_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ckpt" // checkpoint, kill, restart
	_ "github.com/relinksim/relinksim/ext4sim"
	_ "github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfsdraw"
)

// coverLetter runs the cover letter's program on ext4 and returns the
// machine with a_fd (A) open on the unlinked dentry "a".
func coverLetter(t *testing.T) *script.Machine {
	t.Helper()
	return run(t, "ext4", vfs.Upstream, "open a creat,rdwr -> A\nwrite A foo\nlink a b\nunlink a\nopen a creat,rdwr -> A2\nopen gone creat,rdwr -> G\nunlink gone\n")
}

// The picture of the cover letter's program, as testdata/cover_letter.dot
// holds it (rewrite with RELINKSIM_REWRITE=1 and review the diff): the
// unlinked dentry "a" marked, its inode still linked as "b", the fully
// unlinked "gone" on ext4's orphan chain.
func TestCoverLetterPicture(t *testing.T) {
	m := coverLetter(t)
	got := vfsdraw.DOT(m.K, vfsdraw.Options{TaskNames: map[*vfs.Task]string{m.Init(): "init"}, Title: "the cover letter's program"})
	path := filepath.Join("testdata", "cover_letter.dot")
	if os.Getenv("RELINKSIM_REWRITE") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (write it with RELINKSIM_REWRITE=1)", err)
	}
	if got != string(want) {
		t.Errorf("the picture differs from %s (RELINKSIM_REWRITE=1 rewrites it):\n%s", path, got)
	}
	for _, must := range []string{"(unlinked)", "orphan list", "dentry /b"} {
		if !strings.Contains(got, must) {
			t.Errorf("the picture lacks %q", must)
		}
	}
	if err := m.K.Shutdown(); err != nil {
		t.Fatal(err)
	}
}

// Drawing changes nothing and is the same twice; every node an edge
// names is declared, and every object keeps its node name from one step
// to the next.
func TestPicturesAreStable(t *testing.T) {
	m := coverLetter(t)
	a := vfsdraw.DOT(m.K, vfsdraw.Options{})
	if b := vfsdraw.DOT(m.K, vfsdraw.Options{}); a != b {
		t.Fatal("two drawings of one state differ")
	}
	checkDeclared(t, a)
	ops, _ := script.Parse("write A bar\nclose G\n")
	m.Run(ops)
	after := vfsdraw.DOT(m.K, vfsdraw.Options{})
	checkDeclared(t, after)
	// A's file, dentry and inode keep their names.
	for _, line := range strings.Split(a, "\n") {
		if strings.Contains(line, "(unlinked)") && strings.Contains(line, "dentry /a") {
			id := strings.Fields(line)[0]
			if !strings.Contains(after, id+" [") {
				t.Errorf("node %s (a's dentry) is gone after writes that keep it", id)
			}
		}
	}
	if strings.Contains(after, "gone") {
		t.Error("the closed orphan is still drawn")
	}
	if err := m.K.Shutdown(); err != nil {
		t.Fatal(err)
	}
}

// checkDeclared checks the DOT's shape: one digraph, statements ending in
// ';', and every node an edge uses declared with attributes.
func checkDeclared(t *testing.T, dot string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(dot), "\n")
	if lines[0] != "digraph relinksim {" || lines[len(lines)-1] != "}" {
		t.Fatalf("not one digraph:\n%s", dot)
	}
	declared := map[string]bool{}
	var edges [][2]string
	for _, l := range lines[1 : len(lines)-1] {
		l = strings.TrimSpace(l)
		if !strings.HasSuffix(l, ";") {
			t.Errorf("statement without ';': %s", l)
		}
		f := strings.Fields(l)
		if len(f) >= 3 && f[1] == "->" {
			from, _, _ := strings.Cut(f[0], ":")
			to := strings.TrimSuffix(f[2], ";")
			edges = append(edges, [2]string{from, to})
			continue
		}
		if len(f) >= 2 && strings.HasPrefix(f[1], "[") {
			declared[f[0]] = true
		}
	}
	for _, e := range edges {
		for _, n := range e {
			if !declared[n] {
				t.Errorf("edge %s -> %s names an undeclared node %s", e[0], e[1], n)
			}
		}
	}
	if len(edges) == 0 {
		t.Error("no edges drawn")
	}
}

// With ext4's orphan_file feature the orphans are in the orphan file's
// slots, and the picture draws them there.
func TestOrphanFileSlots(t *testing.T) {
	m, err := script.Boot(script.Config{FS: "ext4", Mkfs: "orphan_file"})
	if err != nil {
		t.Fatal(err)
	}
	ops, _ := script.Parse("open gone creat,rdwr -> G\nunlink gone\norphan-slots\n")
	steps := m.Run(ops)
	if steps[2].Errno != "" || steps[2].Err != nil {
		t.Fatalf("%s", steps[2].Describe())
	}
	dot := vfsdraw.DOT(m.K, vfsdraw.Options{})
	if !strings.Contains(dot, `label="orphan file|<o0> `) || !strings.Contains(dot, "color=red];") {
		t.Fatalf("no orphan file drawn (orphan-slots says %s):\n%s", steps[2].Describe(), dot)
	}
	checkDeclared(t, dot)
	if err := m.K.Shutdown(); err != nil {
		t.Fatal(err)
	}
}

// run boots fs under era and runs src, every op of which must succeed.
func run(t *testing.T, fs string, era vfs.Era, src string) *script.Machine {
	t.Helper()
	m, err := script.Boot(script.Config{FS: fs, Options: vfs.Options{Era: era}})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := script.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range m.Run(ops) {
		if st.Err != nil || st.Errno != "" {
			t.Fatalf("%s", st.Describe())
		}
	}
	return m
}

// The pictures draw what a lesson needs beyond files: btrfs's orphan
// items per subvolume, the nsproxies tasks share and their namespaces,
// and the checkpoint's relink directory with the inodes it holds.
func TestWhatThePictureShows(t *testing.T) {
	for _, c := range []struct {
		name, fs string
		era      vfs.Era
		src      string
		want     []string
	}{
		{"btrfs subvolume orphans", "btrfs", vfs.Upstream, "subvol sv\nopen sv/f creat,rdwr -> F\nunlink sv/f\nopen top creat,rdwr -> T\nunlink top\nsync\n",
			[]string{`label="orphan items\nbtrfs /dev/loop0\nsubvolume 5|<o0> ino `, `label="orphan items\nbtrfs /dev/loop0\nsubvolume 256|<o0> ino 257"`}},
		{"nsproxies", "tmpfs", vfs.Upstream, "clone mnt,uts -> T\n",
			[]string{`label="nsproxy 1\ncount=`, `label="nsproxy 2\ncount=1\n`, "shape=component", `label="mount namespace\nmnt:[`}},
		{"relink directory", "ext4", vfs.Relink2011, "open a creat,rdwr -> A\nunlink a\ncheckpoint relink -> I\n",
			[]string{`label="relink directory\n/lost+found/checkpoint-1|<e0> relinked-1"`, "color=blue];"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := run(t, c.fs, c.era, c.src)
			dot := vfsdraw.DOT(m.K, vfsdraw.Options{})
			checkDeclared(t, dot)
			for _, w := range c.want {
				if !strings.Contains(dot, w) {
					t.Errorf("the picture lacks %s:\n%s", w, dot)
				}
			}
			if err := m.K.Shutdown(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A relink directory given as a path (relink=a/b) is drawn too.
func TestNestedRelinkDir(t *testing.T) {
	m, err := script.Boot(script.Config{FS: "ext4", MountOptions: "relink=a/b", Options: vfs.Options{Era: vfs.Relink2011Fixed}})
	if err != nil {
		t.Fatal(err)
	}
	ops, _ := script.Parse("mkdir a\nmkdir a/b\nopen f creat,rdwr -> F\nunlink f\ncheckpoint relink -> I\nls a/b/checkpoint-1\n")
	for _, st := range m.Run(ops) {
		if st.Err != nil || st.Errno != "" {
			t.Fatalf("%s", st.Describe())
		}
	}
	dot := vfsdraw.DOT(m.K, vfsdraw.Options{})
	if !strings.Contains(dot, `label="relink directory\n/a/b/checkpoint-1|<e0> relinked-1"`) {
		t.Errorf("no relink directory a/b/checkpoint-1 drawn:\n%s", dot)
	}
	if err := m.K.Shutdown(); err != nil {
		t.Fatal(err)
	}
}

// A title that looks like an edge ("a -> b") stays the title through
// Stable, for pictures whose titles differ.
func TestStableKeepsTitles(t *testing.T) {
	m := run(t, "tmpfs", vfs.Upstream, "mkdir d\n")
	defer m.K.Shutdown()
	pics := vfsdraw.Stable([]string{
		vfsdraw.DOT(m.K, vfsdraw.Options{Title: "rename a -> b"}),
		vfsdraw.DOT(m.K, vfsdraw.Options{Title: "link c -> d"}),
	})
	for i, want := range []string{`label="rename a -> b"; labelloc=t;`, `label="link c -> d"; labelloc=t;`} {
		if !strings.Contains(pics[i], want) || strings.Contains(pics[i], "labelloc=t [style=invis]") {
			t.Errorf("picture %d:\n%s", i, pics[i])
		}
		checkDeclared(t, pics[i])
	}
}
