package vfstest_test

import (
	"fmt"

	"github.com/relinksim/relinksim/vfs/vfstest"
)

// The conformance cases every filesystem runs with one line in its tests,
// vfstest.TestFilesystem(t, vfstest.FSConfig{...}); each is a subtest of
// its name.
func ExampleConformanceCases() {
	for _, name := range vfstest.ConformanceCases() {
		fmt.Println(name)
	}
	// Output:
	// descriptor-misuse
	// link-errors
	// open-unlinked-inode-lives
	// relink2011-relinks
	// rename-over-open-file
	// rmdir-open-directory
	// tmpfile-linkable-once
	// upstream-refuses-nlink-0
}
