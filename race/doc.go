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
// letter each) and Replay runs them again. A Chooser may also return
// Abandon: the run stops there, unchecked, and says so (Outcome.Abandoned).
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
//	            (CHESS-style context bounding), pruned by sleep sets with
//	            Reduce, one shard of it with Shard
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
// command line. An exploration parses the scenario's ops once; each run
// boots a kernel, makes the filesystem, runs the setup and the tasks and
// checks everything, on ext4 in about 170 µs (`go test ./race -run '^$'
// -bench Exhaustive`: about 6,000 schedules/s on two cores, 2,000–4,000
// before the ops were parsed once per exploration; tmpfs about 25,000,
// btrfs 17,000), most of it in ext4sim's checks (E8 reads every inode's
// bitmap bit, at every check). A failure it finds goes through Minimize before it is
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
// # Partial-order reduction
//
// Options.Reduce (DFS.Reduce; `relinksim explore` reduces unless
// -reduce=false) prunes the exhaustive search with sleep sets (Godefroid,
// 1996): at a node, a choice explored before the current one, whose step
// is independent of the current choice's step, is put to sleep below it,
// and stays asleep as long as the steps taken are independent of it; a
// sleeping task is not chosen, since every schedule that would run it
// there reorders independent steps of one explored already. A run that
// reaches a node where every task that could run is asleep is abandoned
// there (Report.Abandoned counts them).
//
// Two steps of different tasks are independent when they touch disjoint
// objects, or both only read. What a step touches is known only where it
// is sure: the model's code reads and writes inodes, dentries, the
// journal, the orphan list and the kernel's counters between yields with
// no record of it, and a path walk reads the dentry cache under no lock
// the model takes (the very window of the 2007 race), so the locks a task
// holds say nothing about what its step touches. What the explorer knows
// of a step (its footprint, por.go) is where it started and stopped, and
// that is enough for one kind of step: a probe, which starts at "before
// lock L" and ends waiting for L — in between vfs.Kernel.Acquire ran only
// its wait loop, which reads L's holder and readers and writes nothing.
// Every other step counts as touching everything, except that of the
// locks it changes at most the one it starts by taking and the one it ends
// by dropping (Acquire yields before it takes a lock, Release after it
// drops one). So the only independent pairs are two probes, and a probe
// and a step that cannot change its lock: one that does not drop a lock
// of that name, when the lock's holder is a task of the scenario (it
// changes only when its holder drops it), and one that neither takes nor
// drops a lock of that name otherwise. Everything else is dependent.
//
// A preemption bound and sleep sets do not simply combine (Coons,
// Musuvathi and McKinley, "Bounded partial-order reduction", OOPSLA 2013):
// the explored schedule a pruned one reorders may need more preemptions,
// and lie outside the bound. A choice t explored at a node therefore goes
// to sleep below a later choice c only when moving t's step in front of c
// costs no more preemptions: cost(t) + [t's task can run after t] <=
// cost(c), where cost is 1 for a choice that preempts the task that ran
// last. Then for every pruned schedule the schedule with t's step moved
// back to that node has at most its preemptions (the decisions in between
// cost the same, and the one after t's step costs at most what choosing t
// cost where it was pruned), reaches the same states, and comes earlier in
// the search; by induction on that order, some equivalent schedule within
// the bound is run. Probes happen inside system calls, so moving one never
// moves a state at which the invariants are checked.
//
// What the reduction keeps, each checked by a test:
//
//	R1  it runs only schedules of the full search, never more of them
//	    (TestReductionKeepsEveryResult)
//	R2  it finds a failure iff the full search does, at bounds 0, 1 and 2,
//	    for every scenario of the library in every era and three more
//	    (TestReductionKeepsEveryResult, TestLibraryExhaustive)
//	R3  its runs go through the same states as the full search's (the
//	    kernel drawn with vfsdraw, with where each task stands, at every
//	    step up to a failure) and end with the same results
//	    (TestReductionKeepsEveryResult; a relation that calls every two
//	    steps independent breaks R2 and R3: TestBrokenIndependenceIsCaught)
//	R4  a decision replayed takes the step it took before (same footprint),
//	    or the search stops with vfs.Bug: a run is a function of its
//	    decisions
//	R5  vfs/lock.go has the shape the independence rests on: lock fields
//	    written only by Acquire, AcquireShared, Release and ReleaseShared,
//	    Scheduler.Block called only from their wait loops, right after the
//	    "before lock" yield (TestIndependenceRestsOnLockGo, and
//	    TestLockGoChecksHaveTeeth on a copy of vfs changed to break it)
//
// At bound 2 the library's searches shrink (full → reduced, plus runs
// abandoned part way; the same in every era): link-unlink-2007 90 → 83
// (+7), amir-add-entry 116 → 100 (+16), rename-link-2022 110 → 102 (+8)
// (TestReductionCounts). An abandoned run costs most of what a run costs,
// so the search is barely faster.
//
// # Shards
//
// Options.Shard (DFS.Shard; `relinksim explore -shard i/n`, or
// RELINKSIM_SHARD=i/n, or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX
// with RELINKSIM_SHARDS=n) explores shard i of n of a search. The
// exhaustive search's tree is cut into subtrees: each of the first two
// decisions' choices starts one, and below them each decision of a
// subtree's first run where a later run first takes another choice. They
// are numbered in the order the full search reaches them (the first run
// is number 0), and shard i explores those numbered i modulo n. A shard
// also runs the first run of every subtree of the first two decisions and
// the step of an earlier choice another shard explores whose footprint a
// sleep set needs; those runs are abandoned and not counted. pct and
// random shards run the runs numbered i modulo n (pct's first run, which
// measures a run's steps, in every shard, counted by shard 0).
//
//	S1  shards 0 to n-1 run exactly the unsharded search's schedules, each
//	    once, with and without reduction (TestShardsPartitionTheSearch)
//	S2  their schedules and steps add up to the unsharded search's
//	    (TestExploreShards, and in cmd/relinksim TestExploreShards merges
//	    four shards' outputs into the whole search's counts)
//	S3  each shard stops at its own first failure, so the shards of a
//	    search that fails may between them run schedules the unsharded
//	    search, which stops at the first failure it meets, never reaches
//
// Report.Summary is a shard's report as a campaign summary line (package
// internal/campaign); `relinksim explore` prints it when sharded, and
// `relinksim merge-campaign` merges the shards' outputs: schedules
// (sequences) and steps (ops) summed, and the search passed when every
// shard is there once, none failed and, for exhaustive, each explored its
// whole part.
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
//   - The partial-order reduction knows only lock probes as independent
//     (nothing records what a step of kernel code reads and writes), so it
//     prunes little: the schedules that let a task find a lock taken at
//     different moments.
package race
