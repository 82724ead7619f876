package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// lessonRun is a "# run: FLAGS [(exit N)]" header line of a lesson.
var lessonRun = regexp.MustCompile(`^# run: (.*?)(?: \(exit (\d)\))?$`)

// Every lesson in examples/lessons runs with relinksim run and each
// "# run:" line of its header, and exits as the line says (0 unless it
// says "(exit N)"), with nothing on standard error when it exits 0.
func TestLessons(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "lessons", "*.txt"))
	if err != nil || len(files) < 4 {
		t.Fatalf("lessons: %v %v", files, err)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), "\n# Answers:\n") || !strings.Contains(string(src), "\n# Questions:\n") {
			t.Errorf("%s: no \"# Questions:\" or \"# Answers:\" section", file)
		}
		runs := 0
		for _, line := range strings.Split(string(src), "\n") {
			m := lessonRun.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			runs++
			want := 0
			if m[2] != "" {
				want, _ = strconv.Atoi(m[2])
			}
			args := append(append([]string{"run"}, strings.Fields(m[1])...), file)
			r := invoke(args, "")
			if r.code != want || (want == 0 && r.errOut != "") {
				t.Errorf("relinksim %s: exit %d, want %d\n%s", strings.Join(args, " "), r.code, want, r.errOut)
			}
		}
		if runs == 0 {
			t.Errorf("%s: no \"# run: FLAGS\" line", file)
		}
	}
}
