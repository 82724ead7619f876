package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateExercise = flag.Bool("update-exercise", false, "rewrite testdata/exercise-seed1.txt")

// relinksim exercise -seed 1 and -seed 1 -c print the same text every time:
// the golden file's, the questions alone without -c.
func TestExerciseGolden(t *testing.T) {
	golden := filepath.Join("testdata", "exercise-seed1.txt")
	var outs [2][2]string
	for i := range 2 {
		for j, args := range [][]string{{"exercise", "-seed", "1"}, {"exercise", "-seed", "1", "-c"}} {
			r := invoke(args, "")
			if r.code != 0 || r.errOut != "" {
				t.Fatalf("%v: exit %d: %s", args, r.code, r.errOut)
			}
			outs[i][j] = r.out
		}
	}
	if outs[0] != outs[1] {
		t.Fatalf("two runs differ:\n%s\n---\n%s", outs[0][1], outs[1][1])
	}
	plain, reveal := outs[0][0], outs[0][1]
	if *updateExercise {
		if err := os.WriteFile(golden, []byte(reveal), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/relinksim -run TestExerciseGolden -update-exercise)", err)
	}
	if reveal != string(want) {
		t.Errorf("exercise -seed 1 -c:\n%s\nwant (%s):\n%s", reveal, golden, want)
	}
	questions, _, ok := strings.Cut(reveal, "\nAnswers:\n")
	if !ok || !strings.HasPrefix(plain, questions) || strings.Contains(plain, "Answers:") || !strings.Contains(plain, "-c") {
		t.Errorf("exercise -seed 1 without -c:\n%s", plain)
	}
}

func TestExerciseFlags(t *testing.T) {
	for _, fs := range []string{"ext4", "btrfs", "tmpfs"} {
		r := invoke([]string{"exercise", "-fs", fs, "-era", "pre2007", "-seed", "5", "-steps", "12", "-c"}, "")
		if r.code != 0 || !strings.Contains(r.out, "a fresh "+fs+" mounted at /mnt, kernel era pre2007") || !strings.Contains(r.out, "\n  12  ") {
			t.Errorf("%s: exit %d\n%s%s", fs, r.code, r.out, r.errOut)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"exercise", "-seed", "-1"}, "-seed -1: want 0 or more"},
		{[]string{"exercise", "-steps", "3"}, "-steps 3: want 4 to 16"},
		{[]string{"exercise", "-steps", "17"}, "-steps 17: want 4 to 16"},
		{[]string{"exercise", "-fs", "xfs"}, `unknown filesystem "xfs"`},
		{[]string{"exercise", "-era", "1999"}, `unknown kernel era "1999"`},
		{[]string{"exercise", "extra"}, "exercise takes no arguments"},
	} {
		r := invoke(c.args, "")
		if r.code != 2 || !strings.Contains(r.errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, r.code, r.errOut, c.want)
		}
	}
}
