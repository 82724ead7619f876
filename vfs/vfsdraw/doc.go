// Package vfsdraw draws the objects of a simulated kernel as a graph in
// Graphviz's DOT language: the picture on a lecturer's slide of how the
// kernel keeps an open-but-unlinked file alive.
//
// # What a picture shows
//
// The kernel keeps an unlinked file alive through a chain of references,
// and a picture draws that chain, left to right:
//
//   - a task (struct task_struct) and the nsproxy that groups its
//     namespaces (struct nsproxy, with the tasks sharing it and the proc
//     inode numbers of its namespaces), down to its mount namespace;
//   - the task's descriptor table (struct files_struct; a table two tasks
//     share is drawn once), one port per descriptor;
//   - each descriptor's open file (struct file: position, access mode,
//     f_count), joined by a dotted line to the mount it was opened
//     through (struct mount, with its filesystem and namespace);
//   - the file's dentry (struct dentry: its path from its filesystem's
//     root, d_count, red and dashed when d_unlinked), and every other
//     cached name of the same inode (the "b" an unlinked "a" lives on as);
//   - the inode (struct inode: number, type, i_nlink, i_size, I_LINKABLE;
//     red when i_nlink is 0);
//   - the filesystem's on-disk orphan list, in its on-disk order: ext4's
//     chain from s_last_orphan through i_dtime, the occupied slots of
//     ext4's orphan file (orphan_file feature), btrfs's orphan items in
//     each subvolume's tree;
//   - the checkpoint's relink directory (<mount root>/<relink_dir or
//     lost+found>/checkpoint-<crid>/relinked-<n>, the seed's
//     checkpoint_fill_relink_fname), with the inode each relinked name
//     holds.
//
// # Invariants
//
//  1. Drawing reads; it changes no object, takes no lock and does no
//     lookup (only what the dentry cache holds is drawn).
//  2. Every node is named by the object it stands for: a task by its tid,
//     any other object by its id in the kernel's object registry, which is
//     never reused. The same object has the same node name in every
//     picture of a run, and an evicted and re-read inode gets a new one.
//  3. The output depends only on the kernel's state: the same script gives
//     the same DOT, byte for byte, in every run.
//  4. Stable turns the pictures of a run into pictures with one layout:
//     every node of any step is in every step (invisible where absent) at
//     a fixed size, so Graphviz puts each object at the same place in
//     every step.
//
// # Divergences
//
// An orphan that is not in memory is listed in its orphan list (by inode
// number) but has no inode node. Non-mount namespaces are drawn as a list
// on the nsproxy, not as nodes. Mount propagation does not exist in the
// simulator and is not drawn.
package vfsdraw
