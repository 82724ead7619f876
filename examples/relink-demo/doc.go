// Command relink-demo walks through the example of the 2011 series
// "Checkpoint/restart of open, unlinked files" (cover letter and patch 04)
// on the simulated kernel, and shows why relinking exists:
//
//	a_fd = open("a");  link("a", "b");  unlink("a");  creat("a");
//	                <---- checkpoint happens here
//	write(a_fd, "bar");
//
// A restart that reopens the path "a" reaches the wrong file; relinking
// a_fd's inode to a new name and reopening that reaches the right one. When
// "b" is gone too, the inode has no name at all (nlink 0): the 2011 kernel
// could still relink it, today's refuses — which is why CRIU copies such
// files. Run it with
//
//	go run ./examples/relink-demo
package main
