// Command relinksim runs op-language scripts on the simulated kernel, and
// explores races between concurrent system calls.
//
//	relinksim run [-fs NAME] [-era ERA] [-mkfs OPTS] [-o MOUNTOPTS] [-images DIR] [-dot DIR]
//	              [-check every|end|N] SCRIPT|-
//	relinksim explore [-fs NAME] [-era ERA] [-mkfs OPTS] [-o MOUNTOPTS]
//	                  [-strategy exhaustive|pct|random|replay] [-bound N] [-budget N]
//	                  [-seed N] [-depth N] [-schedule S] [-notebook F.html]
//	                  SCENARIO|FILE
//	relinksim ops
//	relinksim decode IMG|-
//	relinksim encode [-o FILE] [JSON|-]
//	relinksim costs [-files N] [-size BYTES] [-unlinked FRACTION] [-fs FS]
//	                [-sparse] [-format text|json|csv] [-strategies LIST]
//	                [-transports LIST]
//	relinksim exercise [-fs FS] [-era ERA] [-seed N] [-steps N] [-c]
//	relinksim notebook [-fs NAME] [-era ERA] [-schedule S] [-bound N]
//	                   -o OUT.html SCRIPT|TRANSCRIPT|SCENARIO
//	relinksim merge-campaign LOG...
//	relinksim help [CMD]
//
// relinksim help (or -h, --help) prints every command's flags;
// relinksim help CMD and relinksim CMD -h print one command's whole help.
//
// # Flags of run and explore
//
//	-era ERA       the kernel era whose link rules the kernel follows
//	               (vfs.Eras: pre2007, sandeen-rfc, enoent2007, relink2011,
//	               relink2011-fixed, upstream; default upstream)
//	-fs NAME       the filesystem made fresh and mounted at /mnt, one of the
//	               registry's (vfs.FSNames: btrfs, ext4, tmpfs); run's
//	               default is tmpfs, explore's ext4
//	-mkfs OPTS     comma-separated mkfs options of that filesystem
//	               (vfs.FSInfo.MkfsOptions, e.g. orphan_file for ext4)
//	-o MOUNTOPTS   mount options passed to mount(2)
//
// # run
//
// run reads SCRIPT (standard input for -, which errors call <stdin>),
// written in the op language that relinksim ops describes, and prints one
// JSON line per op, in exactly the format the kernel oracle
// (docs/oracle.md) prints for the same script on the real kernel, so the
// two can be compared byte for byte. With -fs ext4 the script runs on a
// fresh ext4sim filesystem laid out as the oracle's 128 MiB mkfs.ext4 image,
// and "orphans" prints the on-disk orphan chain; with -fs btrfs, on a fresh
// btrfssim filesystem as mkfs.btrfs makes it, "orphans" prints the top
// subvolume's orphan items.
//
// After every op the kernel's and the filesystem's invariants are checked
// and the kernel log is searched for "kernel BUG"; after the last op the
// kernel shuts down as a clean poweroff does (every task exits, closing the
// descriptors the script left open, and the filesystems are unmounted), and
// any kernel object left is a leak. Each problem is printed on standard
// error once, with the line where it was first seen
// (FILE:LINE: after OP: invariant E10: ..., FILE: at the end (after line N):
// leak check at shutdown: ...); the JSON output does not change. A check
// looks at every kernel object, so a script making tens of thousands of
// them runs in quadratic time: -check N checks after every Nth op and the
// last, -check end after the last op only, both also before a crash op
// (20,000 stacked bind mounts: 175 s checked after every op, 0.17 s with
// -check end); a violation that comes and goes between checks is missed.
//
// # explore
//
// explore runs a race: SCENARIO names a scenario of the race explorer's
// bug library (see package race); any other argument is a scenario file
// (race.ParseScenarioFile; relinksim help explore describes the format).
// It prints how many schedules and scheduler steps it explored and exits 0
// when no check failed within the budget, or prints the failing run's
// timeline (with the schedule that replays it) and exits 1. Its own flags:
//
//	-strategy S    exhaustive (default): every schedule with at most -bound
//	               preemptions; pct: -budget randomized runs; random:
//	               -budget runs of uniform choices; replay: the one
//	               -schedule. rapid is not a strategy of the command: its
//	               chooser is racecheck.Rapid (package race/racecheck), for
//	               Go property tests, and the command links neither rapid
//	               nor testing.
//	-bound N       the exhaustive strategy's preemption bound (default 2)
//	-reduce        prune the exhaustive search with partial-order reduction
//	               (sleep sets; default true): it finds what the full search
//	               finds with fewer schedules; -reduce=false runs them all
//	-shard i/n     run shard i of n of the search (default RELINKSIM_SHARD,
//	               or JOB_COMPLETION_INDEX with RELINKSIM_SHARDS), ending with
//	               a summary line; merge-campaign merges the shards' outputs
//	-budget N      at most N schedules (0: 1,000 for pct and random, all for
//	               exhaustive)
//	-seed N        the seed of pct and random (default 1)
//	-depth N       pct's bug depth (default 3)
//	-schedule S    the schedule to replay, one task letter per decision as a
//	               report prints it; only with -strategy replay, which needs it
//	-notebook F    also write the failing run's lab notebook (with -strategy
//	               replay, the run's) to F: the timeline and the kernel after
//	               every scheduler step (relinksim help notebook)
//	-variant ERA   the deprecated old name of -era, still accepted
//
// # ops
//
// ops prints the op language's reference, generated from the op registry
// (script.Reference): the built-in ops and those of every package the
// command imports (nsproxy's unshare and setns, for one).
//
// # decode and encode
//
// decode prints a checkpoint image (what the checkpoint op makes; run
// -images DIR writes them to DIR/IMG.img) as JSON; encode turns that JSON
// back into exactly the same bytes (package ckpt documents the layout). A
// corrupt or truncated image is exit 2, naming the byte offset and the
// record being read.
//
// # costs
//
// costs runs one workload of open, unlinked files through every
// checkpoint strategy (relink, relink-upstream, criu, handle, copy) and
// every transport to the restart (same machine, backup copy, btrfs
// snapshot, shared device), each on a fresh machine, and prints the data
// bytes each moved, from the kernel's counters, whether identity
// survived, and why a cell failed (package ckpt's Costs).
//
// # exercise
//
// exercise prints homework in the manner of OSTEP's vsfs.py: a short
// script drawn from -seed (6 to 10 ops of open, write, link, unlink,
// rename, close, O_TMPFILE, linkat-empty, linkat-proc, mkdir and rmdir, in
// which some file is open and unlinked at some point) on a fresh -fs
// (default ext4) under -era, and questions about it, each marked with its
// kind: the orphan list after a step (on tmpfs, which has none, the
// descriptors on nlink-0 files instead), the link count of a name after a
// step, which step frees an inode, what a link returns under the era. -c
// prints the answers, each with a line saying why, and every step's result.
// The answers come from running the script on the simulator (package
// script/exercise); the same flags print the same exercise. -steps N (4 to
// 16) sets the script's length; out-of-range flags are usage errors.
//
// # merge-campaign
//
// merge-campaign reads the go test -v logs of the shards of a campaign —
// the kernel differential, or checkpoint/restart's invisibility and fault
// properties — each run with RELINKSIM_SHARD=i/n and one RAPID_SEED and
// RAPID_CHECKS, merges their summary lines (package internal/campaign),
// prints one summary per campaign and filesystem (or checkpoint case) with
// its counts and throughput, and judges the whole against the campaign's
// requirements: exit 0 when met, 1 when not (or a shard failed), 2 when a
// shard is missing or twice. docs/campaigns.md says how to run the
// campaigns as shards.
//
// # Exit codes
//
//	0  run: the script ran and no check failed; explore: no failing
//	   schedule within the budget; help and -h
//	1  a check failed: run saw an invariant violation, a leak at shutdown
//	   or a kernel BUG in the log (the script still ran to its end);
//	   explore found a failing schedule
//	2  a usage error (no or unknown command, a bad flag, -schedule without
//	   -strategy replay, ...); an unreadable or unparsable script or
//	   scenario file, reported as FILE:LINE:COL: message; or a script or
//	   scenario that cannot run: an op that cannot be carried out at all on
//	   this kernel and filesystem (such as fault add_entry on tmpfs), which
//	   run reports as FILE:LINE: OP: reason and stops at, and a scenario
//	   whose setup op fails
package main
