// Package depcheck holds the tests that keep relinksim's import graph as
// the design says (docs: the layout in README.md): the library packages —
// vfs, the filesystems, the op language, the race scheduler, and what the
// command line links — import neither testing, rapid nor datadriven, so
// importing relinksim never touches a program's flags; the op language
// imports no filesystem; the conformance suite links no btrfs. The
// program in flagclash proves the first point the way a user would meet
// it.
package depcheck
