// Command flagclash is a program as a relinksim user might write one: it
// defines flags of its own — among them -rewrite, which datadriven
// registers, and -short, which testing does — imports every library
// package, parses its command line and runs a script. It must start and
// exit 0: a library that registers a flag of the same name on
// flag.CommandLine would make it panic at start-up ("flag redefined").
package main

import (
	"flag"
	"fmt"
	"os"

	_ "github.com/relinksim/relinksim/btrfssim"
	_ "github.com/relinksim/relinksim/ext4sim"
	_ "github.com/relinksim/relinksim/nsproxy"
	"github.com/relinksim/relinksim/race"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

func main() {
	rewrite := flag.Bool("rewrite", false, "this program's own -rewrite")
	short := flag.Bool("short", false, "this program's own -short")
	flag.Parse()
	m, err := script.Boot(script.Config{FS: "ext4"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ops, err := script.Parse("open a creat,rdwr -> A\nunlink a\norphans")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, st := range m.Run(ops) {
		fmt.Println(st.Describe())
	}
	fmt.Println("flags:", *rewrite, *short, len(race.Names()), "race scenarios,", len(vfs.FSNames()), "filesystems")
}
