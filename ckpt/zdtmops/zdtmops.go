package zdtmops

import (
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

func init() {
	task := func(r *script.Runner, op script.Op) (*vfs.Task, error) {
		return script.Need[*vfs.Task](r, op)
	}
	for _, s := range []script.OpSpec{
		{Name: "zdtm-getcwd", Group: "zdtm", Help: "getcwd(2); ret: the working directory's path (ENOENT when it was removed)",
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				t, err := task(r, op)
				if err != nil {
					return nil, err
				}
				cwd, err := t.Getcwd()
				if err != nil {
					return nil, err
				}
				return cwd, nil
			}},
		{Name: "zdtm-readlink-cwd", Group: "zdtm", Help: `readlink("/proc/self/cwd"); ret: the working directory's d_path, " (deleted)" for a removed one`,
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				t, err := task(r, op)
				if err != nil {
					return nil, err
				}
				return t.DPath(t.FSStruct().Pwd()), nil
			}},
		{Name: "zdtm-cwd-is", Group: "zdtm", UsesFD: true, Args: []script.Arg{script.ArgFD}, Usage: "zdtm-cwd-is FD",
			Help: `stat("/proc/self/cwd") and fstat(FD); ret: "same" when st_dev and st_ino agree, else "other"`,
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				t, err := task(r, op)
				if err != nil {
					return nil, err
				}
				cwd, err := t.Stat(".")
				if err != nil {
					return nil, err
				}
				f, err := t.Fstat(fd)
				if err != nil {
					return nil, err
				}
				if cwd.Dev == f.Dev && cwd.Ino == f.Ino {
					return "same", nil
				}
				return "other", nil
			}},
		{Name: "zdtm-blocks", Group: "zdtm", UsesFD: true, Args: []script.Arg{script.ArgFD}, Usage: "zdtm-blocks FD",
			Help: "fstat(2); ret: st_blocks*512, the bytes the file allocates",
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				t, err := task(r, op)
				if err != nil {
					return nil, err
				}
				st, err := t.Fstat(fd)
				if err != nil {
					return nil, err
				}
				return st.Blocks * 512, nil
			}},
	} {
		script.Register(s)
	}
}
