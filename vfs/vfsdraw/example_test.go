package vfsdraw_test

import (
	"fmt"
	"strings"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs/vfsdraw"
)

// Draw the cover letter's state: a_fd's dentry "a" is unlinked, its inode
// lives on as "b". The DOT names each object by what it is, so the same
// object has the same node in every picture.
func Example() {
	m, err := script.Boot(script.Config{FS: "tmpfs"})
	if err != nil {
		panic(err)
	}
	ops, _ := script.Parse("open a creat,rdwr -> A\nlink a b\nunlink a\n")
	m.Run(ops)
	dot := vfsdraw.DOT(m.K, vfsdraw.Options{})
	for _, l := range strings.Split(dot, "\n") {
		if strings.Contains(l, "dentry /") && strings.Contains(l, "label=") {
			fmt.Println(strings.TrimSpace(l[strings.Index(l, "label="):]))
		}
	}
	// Output:
	// label="dentry /a\n(unlinked)\nrefs=1", shape=note, color=red, style=dashed];
	// label="dentry /b\nrefs=0", shape=note];
}
