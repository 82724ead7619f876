// Package notebook writes the lab notebook of a script: one
// self-contained HTML page (no network: its styles and pictures are
// inline, and it runs no script) that shows each op of the script, its
// result or errno, and the picture of the kernel's objects after it — or
// at each draw op, when the script has them — (vfsdraw, rendered to SVG
// in pure Go by vfssvg), with what changed highlighted and one layout for
// all the pictures of a kernel (vfsdraw.Stable).
//
// WriteRace writes the notebook of one run of a race scenario (package
// race): the interleaving as a timeline, one column per task and one row
// per scheduler step, and the kernel after every step, drawn through
// race.RunWatched.
//
// It reads op-language scripts and the repository's lab-notebook
// transcripts alike: in a transcript, each "kernel" block boots a new
// kernel (its era= argument is honoured) and each "run" block's ops run on
// it; an "eras" block's ops run on a fresh kernel of every era in turn;
// the transcript's other blocks (leaks, invariants) are named and skipped.
package notebook
