package race

import (
	"fmt"
	"slices"

	"github.com/relinksim/relinksim/vfs"
)

// Scenario is a race to explore: a filesystem prepared by Setup, tasks
// running their ops concurrently, and the checks that say whether a
// schedule broke something.
type Scenario struct {
	Name string
	// File is the file the scenario was read from (ParseScenarioFile), so
	// that errors name its lines; empty for one written in Go.
	File string
	// Doc explains the race, for the explorer's report.
	Doc string
	// Setup are ops the init task runs first, alone; descriptors it opens
	// are inherited by every task (they are forked after it).
	Setup string
	// Tasks are the ops of each task, as scripts: task A, B, ...
	Tasks []string
	// Final are ops the init task runs after every task finished.
	Final string
	// Crash crashes the machine after Final and checks the filesystem the
	// recovery mounts.
	Crash bool
	// Property checks the tasks' results; nil accepts any.
	Property func(o *Outcome) error
	// Buggy lists the eras in which the scenario's bug exists; the others
	// fixed it (or never had it).
	Buggy []vfs.Era
}

// Library is the built-in bug library, by name.
var Library = map[string]*Scenario{
	"link-unlink-2007": {
		Name: "link-unlink-2007",
		Doc: `The 2007 ext3 race (docs/linux-semantics.md §3): link(a, b) looks a up, and
before it links, unlink(a) drops the last name and puts the inode on the
orphan list. The 2.6.18 VFS has no nlink check, and ext3_link raises nlink
to 1 and adds b — leaving a named inode on the orphan list, which the next
mount's cleanup would destroy, and which unmount oopses on. Fixed by
ext3_link's ENOENT in 2007, by the relink series' orphan_del, and upstream by
vfs_link's own check.`,
		Setup: "open a creat,rdwr -> F\nwrite F data\nclose F",
		Tasks: []string{"link a b", "unlink a"},
		Buggy: []vfs.Era{vfs.Pre2007},
	},
	"amir-add-entry": {
		Name: "amir-add-entry",
		Doc: `Amir Goldstein's objection to Eric Sandeen's January 2007 RFC: its
ext4_link takes an inode that the racing unlink just orphaned off the
orphan list before adding the new name. When adding the name fails (here
ENOSPC, injected for every retry), the inode is nameless again but off the
list; a process still holds it open, and a crash then leaks it (E6). The
relink series' ordering (orphan_del after the name is added) and the
ENOENT refusals are safe.`,
		Setup: "open a creat,rdwr -> H\nwrite H data\nfault add_entry 4",
		Tasks: []string{"link a b", "unlink a"},
		Final: "sync",
		Crash: true,
		Buggy: []vfs.Era{vfs.SandeenRFC},
	},
	"rename-link-2022": {
		Name: "rename-link-2022",
		Doc: `The spurious ENOENT of the 2022 fsdevel thread (docs/linux-semantics.md §7
fact 25), still in 6.18: link(target, l) looks target up, and before it
links, rename(file, target) replaces target. The inode link found now has
nlink 0, and vfs_link refuses it with ENOENT — although a file named target
existed throughout. Every era that refuses nlink 0 has it (the 2007 ext4
check too); 2.6.18 links the dead inode and has the 2007 orphan race
instead; Sandeen's RFC and the relink series link it safely.`,
		Setup: "open target creat,rdwr -> T\nclose T\nopen file creat,rdwr -> F\nclose F",
		Tasks: []string{"link target l", "rename file target"},
		Property: func(o *Outcome) error {
			if st := o.Results[0]; len(st) == 1 && st[0].Errno == "ENOENT" {
				return fmt.Errorf("link target l failed with ENOENT although target existed throughout")
			}
			return nil
		},
		Buggy: []vfs.Era{vfs.Pre2007, vfs.ENOENT2007, vfs.Upstream},
	},
}

// Names returns the library's scenario names, sorted.
func Names() []string {
	var out []string
	for n := range Library {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// BuggyIn reports whether the scenario's bug exists in era.
func (sc *Scenario) BuggyIn(era vfs.Era) bool { return slices.Contains(sc.Buggy, era) }
