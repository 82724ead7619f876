package vfs_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/relinksim/relinksim/vfs"
	"github.com/relinksim/relinksim/vfs/vfstest"
)

// d_path's answers past PATH_MAX: getcwd(2) and readlink of
// /proc/self/cwd and /proc/self/fd/N build the path in a PATH_MAX buffer,
// NUL included, and fail with ENAMETOOLONG when it does not fit, while
// the working directory and the descriptor keep working. One byte short of
// the limit, all three answer the path. (readlink-fd is also a recorded
// scenario of the real kernel, script/testdata/scenarios/dpath-too-long.)
func TestDPathPastPathMax(t *testing.T) {
	k := vfstest.NewKernel(t, vfs.Options{})
	tk := k.Init()
	vfstest.MountTmpfs(t, tk, "/mnt")
	vfstest.Must(t, tk.Chdir("/mnt"))
	// "/mnt" and 15 components of "/" + 255 bytes: 3,844 bytes; then one
	// of 250 ("/" + 250: 4,095, the longest that fits) and one more.
	name := strings.Repeat("x", 255)
	for range 15 {
		vfstest.Must(t, tk.Mkdir(name, 0o755))
		vfstest.Must(t, tk.Chdir(name))
	}
	last := strings.Repeat("y", 250)
	vfstest.Must(t, tk.Mkdir(last, 0o755))
	vfstest.Must(t, tk.Chdir(last))
	fd := vfstest.Open(t, tk, ".", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	cwd, err := tk.Getcwd()
	if err != nil || len(cwd) != vfs.PATH_MAX-1 {
		t.Fatalf("getcwd at %d bytes: %d bytes, %v", vfs.PATH_MAX-1, len(cwd), err)
	}
	for _, link := range []string{"/proc/self/cwd", "/proc/self/fd/" + strconv.Itoa(fd)} {
		if got, err := tk.Readlink(link); err != nil || got != cwd {
			t.Errorf("readlink %s at %d bytes: %d bytes, %v", link, len(cwd), len(got), err)
		}
	}
	// One component further: past the limit.
	vfstest.Must(t, tk.Mkdir("z", 0o755))
	vfstest.Must(t, tk.Chdir("z"))
	deep := vfstest.Open(t, tk, ".", vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	_, err = tk.Getcwd()
	vfstest.WantErrno(t, "getcwd past PATH_MAX", err, vfs.ENAMETOOLONG)
	_, err = tk.Readlink("/proc/self/cwd")
	vfstest.WantErrno(t, "readlink /proc/self/cwd past PATH_MAX", err, vfs.ENAMETOOLONG)
	_, err = tk.Readlink("/proc/self/fd/" + strconv.Itoa(deep))
	vfstest.WantErrno(t, "readlink /proc/self/fd/N past PATH_MAX", err, vfs.ENAMETOOLONG)
	// Following the links still works: they jump to the object.
	if _, err := tk.Stat("/proc/self/cwd/."); err != nil {
		t.Errorf("stat through /proc/self/cwd: %v", err)
	}
	f := vfstest.Open(t, tk, "/proc/self/fd/"+strconv.Itoa(deep), vfs.O_RDONLY|vfs.O_DIRECTORY, 0)
	vfstest.Must(t, tk.Close(f))
	vfstest.Must(t, tk.Close(deep))
	vfstest.Must(t, tk.Close(fd))
}
