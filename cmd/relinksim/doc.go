// Command relinksim runs op-language scripts on the simulated kernel.
//
//	relinksim run [-fs tmpfs] [-era upstream] SCRIPT
//
// run prints one JSON line per op, in exactly the format the kernel oracle
// (../shared/oracle) prints for the same script on the real kernel, so the
// two can be compared byte for byte.
package main
