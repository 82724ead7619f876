// Package criuhost makes real CRIU (4.2, built from source with
// ../shared/oracle/criu/build.sh) the ground truth for package ckpt's criu
// strategy, the way package hostkernel makes the real kernel the ground
// truth for the simulator: it runs a scenario on the real kernel with a
// real criu dump and restore in the middle, and prints the same JSON line
// per op (script.Step) that the simulator prints, so that recordings of
// its output (ckpt/testdata/criu/NAME.FS.jsonl) can be compared with the
// simulator's byte for byte.
//
// # Scenarios
//
// A scenario is a script of one task in the op language, in which three
// ops are CRIU's:
//
//	checkpoint criu [link-remap=0|1] [ghost-limit=BYTES] -> IMG
//	    criu dump -t PID -D DIR --shell-job [--link-remap] [--ghost-limit BYTES]
//	kill
//	    the task is gone (CRIU's dump ended it; after a failed dump the
//	    harness kills it); the ops until the restart run as the inspector
//	restart IMG
//	    criu restore -D DIR --shell-job -d, from the harness's work
//	    directory; then the task runs the ops after it
//
// (each also with -v4 -o LOG, the log the reason is read from). The ops
// before the checkpoint run in the victim, a re-execution of the test
// binary (VictimEnv; TestMain calls MaybeVictim first) that executes them
// with script.Runner over hostkernel.Task, so that descriptor names and
// numbers mean what they mean on the simulator, on a fresh tmpfs, ext4 or
// btrfs mounted as hostkernel mounts them (MountTmpfs, MountExt4 and
// MountBtrfs, from the same templates), ext4 with every task pinned to CPU
// 0. The victim is started with setsid, its stdio on /dev/null; it closes
// every other descriptor it inherited and keeps none of its own: it
// appends each step's JSON line to a results file it opens and closes
// each time, and between runs of ops polls, with nanosleep, for the go
// file the harness writes next. A checkpoint with any descriptor open
// that the script did not open is an error. The victim is dumped while it
// polls, restored there, and told to go on.
//
// A scenario is recorded on tmpfs, ext4 and btrfs (Filesystems): not on
// ext4 when it uses ls (htree order, which the simulator does not model),
// and only on those a "# filesystems: ..." comment line names when it has
// one.
//
// The inspector is the harness process itself (root, in the same mount
// namespace), running ops with its own script.Runner over hostkernel.Task
// relative to the same root, as package ckpt's inspector does on the
// simulator. Its descriptors are closed when a restart succeeds.
//
// A dump that fails leaves the task running (CRIU resumes it): the script
// says so by not killing it, and the ops after the checkpoint run in the
// victim. After a successful dump the task is gone, so the next op must be
// kill (an error otherwise: the simulator's tasks would still run). A
// failed restart leaves the inspector in place; a later restart of the
// same image may succeed.
//
// # Output
//
// Ordinary ops print script.Step's JSON line, as script's scenario
// recordings do. The three special ops print:
//
//	{"line":N,"op":"checkpoint criu -> I","ret":"ok"}                  success
//	{"line":N,"op":"restart I","errno":"CRIU","detail":"bad size"}     failure
//	{"line":N,"op":"kill"}
//
// A failure's detail is a Reason, read from CRIU's log (Classify): one of
// the classes (link-remap needed, ghost limit, name reused, overmounted,
// fake link taken, bad size, bad mode), or "error: " and CRIU's first
// error line. The classes are defined in one place (reason.go), each by
// the CRIU message that names it and an errno the simulator's strategy
// answers with: SimReason classifies a simulated checkpoint's or
// restart's error by its message first (the simulator carries CRIU's
// text), then by its errno; SimStep maps a simulated step, whose error is
// only an errno, to the recording's format.
//
// Values CRIU or the kernel choose arbitrarily are normalized in the
// results of ls, tree, readlink and readlink-fd, in reasons and in the
// facts (NormalizeText): the real mount point becomes /mnt (the
// simulator's), link_remap.<id> becomes link_remap.N, a ghost's
// <path>.cr.<hex>.ghost becomes <path>.cr.N.ghost, and pids in messages
// "pid N". Inode numbers are printed by ino as they are (they are the
// filesystem's, deterministic on a fresh filesystem).
//
// Beside the steps a recording has Facts (NAME.FS.criu.json): for each
// checkpoint, per script descriptor, what the image holds — read with
// crit decode --pretty (PYTHONPATH=SRC/lib:SRC/crit /usr/bin/python3 -m
// crit, SRC the criu binary's source tree): the file entry, its position
// and size, the remap type (LINKED with its link remap's path, GHOST, or
// none), for a ghost its mode, chunk count and the data bytes the ghost
// image holds, for a fifo the bytes its pipe held — and the paths the
// dump added; for each restart, the paths that differ from before the
// dump and, after a successful one, whether each descriptor is on the same
// inode (st_dev and st_ino through /proc/PID/fd) and its st_blocks.
//
// Recording: go test ./internal/criuhost -run TestRecordCRIU -record-criu
// (root, Linux; criu from $RELINKSIM_CRIU or /tmp/criu-src/criu/criu). A
// CRIU that is missing, fails `criu check`, crashes or writes no log is
// an error, never a recording.
//
// It is our own harness: CRIU is a tool to run, and no CRIU code is
// copied. It only works on Linux, as root.
package criuhost
