// Command relinksim runs op-language scripts on the simulated kernel, and
// explores races between concurrent system calls.
//
//	relinksim run [-fs tmpfs|ext4|btrfs] [-era upstream] SCRIPT
//	relinksim explore [-fs ext4] [-variant ERA] [-strategy rapid|pct|exhaustive|replay]
//	                  [-seed N] [-budget N] [-bound N] [-depth N] [-schedule S] SCENARIO
//
// run prints one JSON line per op, in exactly the format the kernel oracle
// (../shared/oracle) prints for the same script on the real kernel, so the
// two can be compared byte for byte. With -fs ext4 the script runs on a
// fresh ext4sim filesystem laid out as the oracle's 128 MiB mkfs.ext4 image,
// and "orphans" prints the on-disk orphan chain; with -fs btrfs, on a fresh
// btrfssim filesystem as mkfs.btrfs makes it, "orphans" prints the top
// subvolume's orphan items.
//
// explore runs a scenario of the race explorer's bug library (see package
// race): it prints how many schedules and scheduler steps it explored and
// exits 0 when no check failed within the budget, or prints the failing
// run's timeline (with the schedule that replays it) and exits 1.
package main
