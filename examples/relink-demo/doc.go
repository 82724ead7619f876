// Command relink-demo runs the example of the 2011 series
// "Checkpoint/restart of open, unlinked files" (cover letter and patch 04)
// on a simulated kernel of today with ext4 on /mnt, checkpointed and
// restarted for real (package ckpt, strategy relink-upstream):
//
//	a_fd = open("a");  link("a", "b");  unlink("a");  creat("a");
//	                <---- checkpoint, kill, restart
//	write(a_fd, "bar");   /* reaches b */
//
// The story is the op-language script story.txt (embedded): the process
// first opens stdin, stdout and stderr, so its files get fds 3, 4, ...,
// and it also holds a scratch file it unlinked at once (nlink 0), which
// puts an inode on ext4's orphan chain. The demo prints each op with its
// result, the orphan chain before the checkpoint, after the relink and
// after the restart, then runs the same story under the strategies
// relink-upstream, criu, handle and copy (and the series' code as posted,
// relink) and prints the file data each moved, from the kernel's IO
// counters, and whether the write through a_fd still reaches b.
//
// Run it with
//
//	go run ./examples/relink-demo
//
// and the script alone with
//
//	go run ./cmd/relinksim run -fs ext4 examples/relink-demo/story.txt
package main
