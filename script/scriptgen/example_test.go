package scriptgen_test

import (
	"fmt"

	"github.com/relinksim/relinksim/script/scriptgen"
)

// Draw an op sequence for a seed, as a property test would draw one; a
// shrunk counterexample prints in the same op language.
func Example() {
	ops := scriptgen.Ops(scriptgen.GenConfig{MinOps: 3, MaxOps: 3}).Example(1)
	fmt.Println(len(ops) == 3, ops[0].String() != "")
	// Output:
	// true true
}
