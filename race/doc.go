// Package race explores the interleavings of concurrent system calls in
// the simulated kernel, deterministically: it finds orphan-list races,
// shrinks them to their minimal interleaving and prints them as timelines,
// and proves the fixes hold within a bound.
//
// # How a run works
//
// A Scenario prepares a filesystem (Setup, run alone by the init task) and
// gives each task a list of ops in the op language of package script. Each
// task runs its ops in a coroutine (iter.Pull): the kernel code stays
// straight-line, and wherever the kernel's locking would let another task
// in, it calls its vfs.Scheduler — before taking a lock (an inode's
// i_rwsem, the orphan lock, s_vfs_rename_mutex), after releasing one, at
// the preemption points the code marks (between linkat's lookup of its
// source and the link, at a journal handle's start and stop), and between
// ops. There the running task stops, and a Chooser picks which runnable
// task goes on; a task waiting for a lock is runnable again once the lock
// is free. One task runs at a time and every choice is the Chooser's, so a
// run is a function of its decisions: Outcome.Schedule prints them (one task
// letter each) and Replay runs them again.
//
// After every step at which no task is inside a system call, the kernel's
// and the filesystem's invariants are checked (ext4sim's E1–E10, btrfssim's
// B1–B9, the VFS's V1–V15); at the end, the scenario's Property, a crash and
// recovery when the scenario asks (Crash), the kernel log ("kernel BUG")
// and the leak check. The first failure is the Outcome's; Timeline shows
// the run as a two-column lab notebook, the failing step marked.
//
// # Choosers and strategies
//
//	Sequential  no preemptions
//	PCT         probabilistic concurrency testing: random task priorities
//	            and d−1 random priority change points
//	DFS         every schedule with at most Bound preemptions, depth first
//	            (CHESS-style context bounding; no partial-order reduction)
//	Random      each decision uniform among the runnable tasks
//	Replay      a printed schedule
//
// rapid's chooser lives in package race/racecheck, with Check (a scenario
// as a property test): every decision is drawn from a *rapid.T, so rapid
// shrinks the ops and the interleaving together, towards fewer tasks, ops
// and preemptions. That package imports rapid and testing, and rapid takes
// its settings from the test binary's flags (-rapid.checks, -rapid.seed);
// race imports neither, so a program linking the explorer keeps its flags
// to itself, and every setting of Explore is a parameter (Options): any
// number of explorations can run at once.
//
// Explore runs one strategy (exhaustive, pct or random) against a scenario
// within a budget and reports
// the schedules and scheduler steps it explored; `relinksim explore` is its
// command line. A failure it finds goes through Minimize before it is
// reported: a search of every schedule with fewer preemptions (0, then 1,
// ...) finds the fewest with which the same invariants break, then local
// edits shorten the schedule. rapid's shrinker alone keeps needless
// preemptions, because a schedule's simpler form usually needs several
// decisions changed at once; the ops and tasks rapid shrinks well.
//
// # The bug library
//
// Library holds the races the project is about: link-unlink-2007 (the
// 2.6.18 ext3 race that put a linked inode on the orphan list),
// amir-add-entry (Sandeen's RFC ordering with a failing add_entry: a leak
// after a crash) and rename-link-2022 (the spurious ENOENT still in 6.18).
// Each names the eras that have its bug; every other era is clean for it
// within the exhaustive search's bound (TestLibraryExhaustive).
//
// A scenario that cannot run as written is an error from Run and Explore,
// never a pass: a setup op that does not succeed (an errno, a fault the
// filesystem cannot inject), an op a task or the final ops cannot run at
// all (a machine-level op such as crash in a task), an unknown filesystem.
// Scenarios run on any filesystem of the registry (vfs.LookupFS; Config.FS,
// ext4 by default); race imports ext4sim and btrfssim so that theirs are
// there.
//
// # Scenario files
//
// ParseScenarioFile reads a scenario written in the op language, which
// `relinksim explore FILE` runs. Blank lines and # comments are skipped;
// header lines come first — name: NAME (default: the file's base name
// without extension), doc: TEXT (repeatable, lines joined), crash: true|false,
// buggy: ERA[,ERA] — then sections, each a line setup:, task: (one per task:
// A, B, ... in order, at least one) or final:, followed by its ops; the
// first op may stand on the section line ("task: link a b"):
//
//	name: link-unlink-2007
//	buggy: pre2007
//	setup:
//	  open a creat,rdwr -> F
//	  write F data
//	  close F
//	task: link a b
//	task: unlink a
//
// Errors print as FILE:LINE:COL: message, an op's from script.ParseFile at
// its place in the file. The Scenario's op strings keep the file's line
// numbers, so run errors name file lines too. A file cannot give a
// Property; ScenarioFileFormat documents the format for help texts.
//
// # Divergences and limits
//
//   - Yield points are where the model's code marks them; the kernel's
//     spinlocks, RCU walks and per-CPU state are not modelled, so races
//     that need them cannot be found.
//   - A task is one thread; there are no signals and no timeouts, and a
//     run in which every task waits for a lock is reported as a deadlock.
//   - Invariants are checked only between system calls: a transient state
//     inside one (nlink raised before the entry is added) is not a failure.
package race
