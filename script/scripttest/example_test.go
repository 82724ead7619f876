package scripttest_test

import (
	"fmt"

	_ "github.com/relinksim/relinksim/ext4sim"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/script/scripttest"
	"github.com/relinksim/relinksim/vfs"
)

// The machine a transcript's "kernel" block boots, for any registered
// filesystem (RunTranscripts(t, dir, "ext4") boots it for every block).
func ExampleRegistry() {
	m, err := scripttest.Registry("ext4")(vfs.Options{Era: vfs.Relink2011}, nil)
	if err != nil {
		panic(err)
	}
	ops, _ := script.Parse("open a creat,rdwr -> A\nunlink a\norphans\n")
	for _, st := range m.Run(ops) {
		fmt.Println(st.Describe())
	}
	// Output:
	// open a creat,rdwr -> A: ok
	// unlink a: ok
	// orphans: [A]
}
