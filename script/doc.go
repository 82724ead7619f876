// Package script is relinksim's op language: one textual form for the
// system calls of a scenario, shared by scripts run with `relinksim run`,
// the transcripts in testdata/, the property tests' generators and their
// failure reports. An op prints back in the syntax it parses from
// (Op.String), so a generated or shrunk sequence pastes straight into a
// script or a regression transcript — the habit of pebble's metamorphic
// tests.
//
// # Syntax
//
// One op per line; '#' starts a comment line. Paths are relative to the
// root of the filesystem under test; fd operands are names given by
// "-> NAME". TEXT (write, pwrite) is the rest of the line: unquoted words,
// joined by single spaces, or one Go string literal ("a  b\n#c"). The ops
// the kernel oracle also knows (OracleOp) have exactly its syntax and
// output:
//
//	open PATH FLAGS[,..] -> FD     rdonly wronly rdwr creat excl trunc tmpfile
//	                               nonblock directory append nofollow (every
//	                               open adds O_NONBLOCK so a fifo never blocks)
//	close FD | dup FD -> FD2 | write FD TEXT | pwrite FD OFF TEXT
//	read FD N | pread FD OFF N | ftruncate FD N
//	link OLD NEW | linkat-empty FD NEW | linkat-proc FD NEW
//	unlink PATH | rmdir PATH | mkdir PATH | rename OLD NEW
//	mkfifo PATH | symlink TARGET PATH
//	fstat FD | stat PATH | lstat PATH | cat PATH | tree | orphans
//
// The whole language — the simulator's further system calls, mounts and
// credentials, the machine-level ops (sync, crash, remount, check, dmesg,
// fault, mount-new) and the btrfs ops — is in the reference Reference
// generates from the registry, which `relinksim ops` prints.
//
// An op naming an fd that is not open answers EBADF without calling the
// kernel, as the oracle does. Parse errors are *ParseError, printed as
// FILE:LINE:COL: message; an unknown op's error names the nearest known
// one.
//
// # An open language
//
// Every op, built-in or not, is an OpSpec in one registry: name, operands,
// help and handler. A package above script — checkpoint/restart,
// namespaces, a test of your own — adds ops with Register, and they parse,
// print, run and appear in the reference without script importing it. A
// handler gets the Runner: its Sys (the system calls), optional parts of
// the Sys asked for with Need (Syncer, OrphanReader, Subvolumes, Mounter,
// ...; *vfs.Task has them all), and the Machine for machine-level ops.
//
// # Results
//
// Runner.Step returns a Step, which encodes to JSON in the oracle's shape
// (line, op, ret, errno; ret omitted when there is none) and prints for
// transcripts with Step.Describe. An op that could not be carried out at
// all — it needs a Machine, or a capability the kernel or filesystem lacks,
// such as a fault it cannot inject — sets Step.Err instead: a failure of
// the script, which every tool reports and stops on, never a result.
//
// # Limits
//
// Inputs and outputs are bounded, so that a hostile or runaway script
// costs little: a Scanner reads a script as a stream, one line in memory
// at a time (lines up to MaxLineBytes, scripts up to MaxScriptBytes, each
// an error naming where); a ParseError cuts what it quotes; read and pread
// ask for at most MaxReadCount bytes; cat returns at most MaxCatBytes of a
// file and says how much more there is (CatCutFormat). Ops that act on
// the whole machine (OpSpec.Machine: crash, check, fault, checkpoint, ...)
// cannot run in a race's tasks.
//
// # Machines and filesystems
//
// A Machine boots a kernel and mounts a fresh filesystem at /mnt, any
// filesystem registered with vfs.RegisterFS (tmpfs always; ext4 and btrfs
// once their packages are imported): script itself imports none. Several
// filesystems can share the machine's kernel (MountNew, or the mount-new op),
// each on its own loop device.
//
// Property-test generators are in script/scriptgen (rapid), transcripts in
// script/scripttest (testing, datadriven): script imports neither testing
// library, so importing it never touches a program's flags.
package script
