package vfs

import "fmt"

// FilesStruct is analogous to Linux's struct files_struct (fs/file.c): a
// task's descriptor table. Tasks cloned with CLONE_FILES share one; its
// reference count is the number of tasks using it, and each open slot
// holds a reference on its file.
type FilesStruct struct {
	kobj
	k   *Kernel
	fds []*File
	// nextFD is files_struct.next_fd: no descriptor below it is free, so
	// allocation searches from there.
	nextFD int
}

func (fs *FilesStruct) kind() string { return "files_struct" }

func (fs *FilesStruct) describe() string {
	n := 0
	for _, f := range fs.fds {
		if f != nil {
			n++
		}
	}
	return fmt.Sprintf("files_struct %d (%d open)", fs.id, n)
}

// Users returns the number of tasks sharing the table.
func (fs *FilesStruct) Users() int64 { return fs.refs }

func (k *Kernel) newFilesStruct() *FilesStruct {
	fs := &FilesStruct{k: k}
	fs.refs = 1
	k.register(fs, &fs.kobj)
	return fs
}

// dupFD models fs/file.c:dup_fd: a new table holding a reference on every
// file of old.
func dupFD(old *FilesStruct) *FilesStruct {
	fs := old.k.newFilesStruct()
	fs.nextFD = old.nextFD
	fs.fds = make([]*File, len(old.fds))
	for i, f := range old.fds {
		if f != nil {
			fs.fds[i] = Fget(f)
		}
	}
	return fs
}

// getFiles takes a user's reference (CLONE_FILES).
func getFiles(fs *FilesStruct) *FilesStruct {
	if fs.refs <= 0 {
		Bug("files_struct %d: reference on a freed table", fs.id)
	}
	fs.refs++
	return fs
}

// putFiles drops a user's reference; the last closes every descriptor
// (models fs/file.c:put_files_struct and close_files).
func putFiles(fs *FilesStruct) {
	if fs.refs <= 0 {
		Bug("put_files_struct: files_struct %d has no users", fs.id)
	}
	fs.refs--
	if fs.refs > 0 {
		return
	}
	for fd, f := range fs.fds {
		if f != nil {
			fs.fds[fd] = nil
			Fput(f)
		}
	}
	fs.k.unregister(&fs.kobj)
}
