// Command relinksim runs op-language scripts on the simulated kernel.
//
//	relinksim run [-fs tmpfs|ext4|btrfs] [-era upstream] SCRIPT
//
// run prints one JSON line per op, in exactly the format the kernel oracle
// (../shared/oracle) prints for the same script on the real kernel, so the
// two can be compared byte for byte. With -fs ext4 the script runs on a
// fresh ext4sim filesystem laid out as the oracle's 128 MiB mkfs.ext4 image,
// and "orphans" prints the on-disk orphan chain; with -fs btrfs, on a fresh
// btrfssim filesystem as mkfs.btrfs makes it, "orphans" prints the top
// subvolume's orphan items.
package main
