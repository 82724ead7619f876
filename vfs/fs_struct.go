package vfs

import "fmt"

// FSStruct is analogous to Linux's struct fs_struct (fs/fs_struct.c): a
// task's root, working directory and umask. Tasks cloned with CLONE_FS
// share one; its reference count is the number of tasks using it
// (fs->users), and it holds a reference on its root and pwd paths.
type FSStruct struct {
	kobj
	k     *Kernel
	root  Path
	pwd   Path
	umask FileMode
}

func (fs *FSStruct) kind() string { return "fs_struct" }

func (fs *FSStruct) describe() string {
	return fmt.Sprintf("fs_struct %d (root %s, pwd %s)", fs.id, fs.k.dPath(fs.root, fs.root), fs.k.dPath(fs.pwd, fs.root))
}

// Users returns the number of tasks sharing the fs_struct.
func (fs *FSStruct) Users() int64 { return fs.refs }

func (k *Kernel) newFSStruct(root, pwd Path, umask FileMode) *FSStruct {
	fs := &FSStruct{k: k, root: PathGet(root), pwd: PathGet(pwd), umask: umask}
	fs.refs = 1
	k.register(fs, &fs.kobj)
	return fs
}

// copyFSStruct models fs/fs_struct.c:copy_fs_struct: a new fs_struct with
// the same root, pwd and umask, used by one task.
func copyFSStruct(old *FSStruct) *FSStruct {
	return old.k.newFSStruct(old.root, old.pwd, old.umask)
}

// getFSStruct takes a user's reference (CLONE_FS: fs->users++).
func getFSStruct(fs *FSStruct) *FSStruct {
	if fs.refs <= 0 {
		Bug("fs_struct %d: reference on a freed fs_struct", fs.id)
	}
	fs.refs++
	return fs
}

// putFSStruct drops a user's reference and frees the fs_struct with the
// last (models fs/fs_struct.c:exit_fs and free_fs_struct).
func putFSStruct(fs *FSStruct) {
	if fs.refs <= 0 {
		Bug("exit_fs: fs_struct %d has no users", fs.id)
	}
	fs.refs--
	if fs.refs > 0 {
		return
	}
	PathPut(fs.root)
	PathPut(fs.pwd)
	fs.root, fs.pwd = Path{}, Path{}
	fs.k.unregister(&fs.kobj)
}

// setPwd models fs/fs_struct.c:set_fs_pwd: p (whose reference the
// fs_struct takes over) becomes the working directory.
func (fs *FSStruct) setPwd(p Path) {
	old := fs.pwd
	fs.pwd = p
	PathPut(old)
}

// setRoot models fs/fs_struct.c:set_fs_root.
func (fs *FSStruct) setRoot(p Path) {
	old := fs.root
	fs.root = p
	PathPut(old)
}
