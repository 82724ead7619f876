package main

import (
	"os"
	"strings"
	"testing"
)

// mainArgsEnv, when set, makes the test binary run the command line it
// holds (separated by the unit separator, 0x1f) instead of the tests: the way a test runs the
// program as a process of its own, to measure it.
const mainArgsEnv = "RELINKSIM_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(mainArgsEnv); ok {
		os.Exit(run(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
