// Command relink-demo walks through the example of the 2011 series
// "Checkpoint/restart of open, unlinked files" (cover letter and patch 04)
// on the simulated kernel, and shows why relinking exists:
//
//	a_fd = open("a");  link("a", "b");  unlink("a");  creat("a");
//	                <---- checkpoint happens here
//	write(a_fd, "bar");
//
// The file at "a" is 1 GiB (sparse). A restart that reopens the path "a"
// reaches the wrong file. The series' checkpoint (package ckpt, on a
// relink2011 kernel with ext4) relinks a_fd's inode to
// lost+found/checkpoint-1/relinked-1 and records that name in the image;
// the program is killed; the restart reopens the name, unlinks it again,
// and the write reaches "b" — with no file data moved by either (the
// kernel's data byte counters stay at 0). When "b" is gone too, the inode
// has no name at all (nlink 0): the 2011 kernel could still relink it,
// today's refuses the series' code (ENOENT), which is why CRIU copies such
// files; the simulator's port (relink-upstream) marks it I_LINKABLE first.
// Run it with
//
//	go run ./examples/relink-demo
package main
