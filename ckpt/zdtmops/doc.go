// Package zdtmops registers the ops that only the zdtm scripts of
// ckpt/testdata/zdtm use, for what CRIU's zdtm tests check and the op
// language has no op for: a task's working directory (getcwd(2), and
// readlink and stat of /proc/self/cwd, which the simulator's proc does
// not have) and a file's allocated bytes (st_blocks, which fstat does not
// print). They are not part of the op language proper because the kernel
// oracle does not run them; import the package (for its side effect) to
// run those scripts, as ckpt's TestZdtm and the notebook's tests do.
package zdtmops
