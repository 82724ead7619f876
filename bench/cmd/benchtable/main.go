package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	count := flag.Int("count", 5, "measure each benchmark `N` times; the table holds the medians")
	bench := flag.String("bench", ".", "the benchmarks to run (go test -bench `REGEXP`)")
	out := flag.String("o", "README.md", "the README to rewrite `FILE`")
	flag.Parse()
	args := []string{"test", "-run", "^$", "-bench", *bench, "-benchmem", "-count", strconv.Itoa(*count), "-timeout", "120m", "."}
	fmt.Fprintf(os.Stderr, "benchtable: go %s\n", strings.Join(args, " "))
	cmd := exec.Command("go", args...)
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	os.Stdout.Write(raw)
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchtable: go test: %v\n", err)
		os.Exit(1)
	}
	res, order := parse(raw)
	if len(order) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results")
		os.Exit(1)
	}
	readme, err := os.ReadFile(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	text, err := splice(string(readme), tables(res, order, *count))
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

// result is one benchmark's measurements: metric unit -> values.
type result map[string][]float64

var line = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// parse reads go test -bench output.
func parse(raw []byte) (map[string]result, []string) {
	res := map[string]result{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name := m[1]
		if res[name] == nil {
			res[name] = result{}
			order = append(order, name)
		}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				res[name][f[i+1]] = append(res[name][f[i+1]], v)
			}
		}
	}
	return res, order
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// columns are the metrics shown, in order, with their headings.
var columns = []struct{ unit, head string }{
	{"files", "files"},
	{"ns/op", "ns/op"},
	{"ns/file", "ns/file"},
	{"ops/s", "ops/s"},
	{"heap-B/file", "heap B/file"},
	{"x-afero", "× afero"},
	{"x-kernel", "× kernel tmpfs"},
	{"allocs/op", "allocs/op"},
	{"B/op", "B/op"},
}

func tables(res map[string]result, order []string, count int) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "Measured %s on %s (%d CPUs, %s, %s/%s) with `go run ./cmd/benchtable` (go test -bench, medians of %d).\n",
		time.Now().UTC().Format("2006-01-02"), host, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, count)
	var workloads []string
	rows := map[string][]string{}
	for _, name := range order {
		w, be, _ := strings.Cut(strings.TrimPrefix(name, "Benchmark"), "/")
		if rows[w] == nil {
			workloads = append(workloads, w)
		}
		rows[w] = append(rows[w], be)
	}
	for _, w := range workloads {
		used := []int{}
		for i, c := range columns {
			for _, be := range rows[w] {
				if len(res["Benchmark"+w+"/"+be][c.unit]) > 0 {
					used = append(used, i)
					break
				}
			}
		}
		fmt.Fprintf(&b, "\n### %s\n\n| backend |", w)
		for _, i := range used {
			fmt.Fprintf(&b, " %s |", columns[i].head)
		}
		b.WriteString("\n|---|")
		for range used {
			b.WriteString("---:|")
		}
		b.WriteString("\n")
		for _, be := range rows[w] {
			r := res["Benchmark"+w+"/"+be]
			fmt.Fprintf(&b, "| %s |", be)
			for _, i := range used {
				vs := r[columns[i].unit]
				if len(vs) == 0 {
					b.WriteString(" |")
					continue
				}
				fmt.Fprintf(&b, " %s |", format(median(vs)))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func format(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

const begin, end = "<!-- benchtable begin -->", "<!-- benchtable end -->"

// splice puts the tables between the README's markers.
func splice(readme, tables string) (string, error) {
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("the README has no %s ... %s markers", begin, end)
	}
	return readme[:i+len(begin)] + "\n" + tables + "\n" + readme[j:], nil
}
