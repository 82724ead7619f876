package script_test

import (
	"fmt"

	"github.com/relinksim/relinksim/script"
)

// The cover letter's program as a script, run on a machine with tmpfs at
// /mnt. Each step prints as transcripts show it; a failing system call is
// a result, its errno, not an error of the script.
func Example() {
	ops, err := script.Parse(`
open a creat,rdwr -> A
write A foo
link a b
unlink a
open a creat,wronly,excl -> A2
open a creat,wronly,excl -> A3
write A bar
cat b
`)
	if err != nil {
		panic(err)
	}
	m, err := script.Boot(script.Config{})
	if err != nil {
		panic(err)
	}
	for _, step := range m.Run(ops) {
		if step.Err != nil {
			panic(step.Err)
		}
		fmt.Println(step.Describe())
	}
	// Output:
	// open a creat,rdwr -> A: ok
	// write A foo: ok
	// link a b: ok
	// unlink a: ok
	// open a creat,wronly,excl -> A2: ok
	// open a creat,wronly,excl -> A3: error EEXIST
	// write A bar: ok
	// cat b: "foobar"
}
