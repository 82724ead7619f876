package vfssvg_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs/vfsdraw"
	"github.com/relinksim/relinksim/vfs/vfsdraw/vfssvg"
)

// Render a picture of the kernel to SVG, with nothing installed: Graphviz
// runs in pure Go.
func Example() {
	m, err := script.Boot(script.Config{FS: "tmpfs"})
	if err != nil {
		panic(err)
	}
	ops, _ := script.Parse("open a creat,rdwr -> A\nunlink a\n")
	m.Run(ops)
	ctx := context.Background()
	r, err := vfssvg.New(ctx)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	svg, err := r.SVG(ctx, []byte(vfsdraw.DOT(m.K, vfsdraw.Options{})))
	if err != nil {
		panic(err)
	}
	fmt.Println(bytes.Contains(svg, []byte("<svg")), bytes.Contains(svg, []byte("(unlinked)")))
	// Output:
	// true true
}
