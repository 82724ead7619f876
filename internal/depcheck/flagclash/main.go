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
