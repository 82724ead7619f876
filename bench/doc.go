// Package bench measures relinksim against what a researcher would use
// instead, in one run: the real kernel (a tmpfs; ext4 and btrfs on loop
// devices when RELINKSIM_HOST_TESTS=1), spf13/afero's in-memory
// filesystem, and relinksim's tmpfs, ext4sim and btrfssim driven through
// the public vfs API. It is a module of its own so that afero and the
// benchmarks' other dependencies stay out of the library's go.mod.
//
// Every workload is a benchmark whose sub-benchmarks are the backends, in
// a fixed order: afero first, then the kernel, then the simulator. Each
// reports ns/op and allocations, and, once the references of the same run
// have been measured, its time relative to them: x-afero (afero's time on
// the workload's afero counterpart is 1; below 1 is faster) and x-kernel
// (the real tmpfs's is 1).
//
//	go test -run '^$' -bench . -benchmem ./bench/...     (from the root)
//	go run ./cmd/benchtable                              (from bench/: rewrites README.md)
//
// Workloads (a file is created with open(O_CREAT)):
//
//	SeedCycle         open(creat) a, link a b, unlink a, close, unlink b:
//	                  the seed's five calls (afero has no hard links: its
//	                  reference is CreateStatRename's five calls)
//	CreateStatRename  open(creat), close, stat, rename, unlink
//	StatDeep          stat of a file 10 directories deep, all cached
//	OrphanChurn       10,000 files opened and unlinked, then closed in a
//	                  shuffled order: the orphan list filling and draining
//	BigDir            100,000 files created in one directory (1,000,000
//	                  with RELINKSIM_BENCH_BIGDIR=1000000), each looked up,
//	                  the directory listed, the files removed
//	RandomScript      a differential-style generated script of 40 ops on a
//	                  fresh machine (simulator only)
//	MemoryPerFile     the live Go heap 100,000 cached files add, per file
//	                  (RELINKSIM_BENCH_MEMFILES sets the count): inode,
//	                  dentry and directory entry (not the kernel: its
//	                  memory is not Go's heap)
package bench
