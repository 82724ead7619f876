package ckpt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// The op language's checkpoint and restart: the container is every task of
// the script; the checkpoint daemon (Daemon) does the work.

// Stored is an image a script made, with the script's names for what it
// holds (the tasks' and descriptors' names, which the kernel's image does
// not carry).
type Stored struct {
	Name  string
	Image *Image
	// Bytes is Image encoded: what the restart op reads (decoded again),
	// so that every image a script makes goes through the codec.
	Bytes []byte
	Tasks []script.TaskInfo
	// Current is the task ops ran as at the checkpoint.
	Current string
}

type imagesKey struct{}

// killedKey keys the inspector task of a killed container.
type killedKey struct{}

// Inspector is the name the script's only task has between kill and
// restart: a clone of the checkpoint daemon (root, in the initial
// namespace), so that a script can look at what the checkpoint left.
const Inspector = "daemon"

// Images returns the images the machine's script made, in the order it
// made them.
func Images(m *script.Machine) []*Stored {
	if s, ok := m.Ext(imagesKey{}).(*[]*Stored); ok {
		return *s
	}
	return nil
}

func store(m *script.Machine, st *Stored) {
	s, ok := m.Ext(imagesKey{}).(*[]*Stored)
	if !ok {
		s = &[]*Stored{}
		m.SetExt(imagesKey{}, s)
	}
	for i, x := range *s {
		if x.Name == st.Name {
			(*s)[i] = st
			return
		}
	}
	*s = append(*s, st)
}

func lookup(m *script.Machine, name string) (*Stored, error) {
	for _, st := range Images(m) {
		if st.Name == name {
			return st, nil
		}
	}
	return nil, fmt.Errorf("no image is called %q", name)
}

func machine(r *script.Runner, op script.Op) (*script.Machine, error) {
	m := r.Machine()
	if m == nil {
		return nil, fmt.Errorf("op %s needs a Machine", op.Name)
	}
	return m, nil
}

// checkpointOptions reads checkpoint's words: a strategy, then KEY=VALUE
// options: caps=CAP[,CAP...] (the daemon's capabilities for this
// checkpoint: fowner, dac_override, dac_read_search, sys_admin, sys_chroot,
// or all), fail=N (the N-th kernel call fails), and the criu strategy's
// link-remap=1 and ghost-limit=N[K|M|G] (CRIU's --link-remap and
// --ghost-limit).
func checkpointOptions(words []string) (Options, *vfs.CapSet, error) {
	var opt Options
	var caps *vfs.CapSet
	for i, w := range words {
		k, v, isKV := strings.Cut(w, "=")
		switch {
		case !isKV && i == 0:
			if !knownStrategy(w) {
				return opt, nil, fmt.Errorf("unknown strategy %q (want one of %s)", w, strings.Join(Strategies, ", "))
			}
			opt.Strategy = w
		case k == "link-remap":
			if v != "1" && v != "0" {
				return opt, nil, fmt.Errorf("link-remap=%s: want 1 or 0", v)
			}
			opt.LinkRemap = v == "1"
		case k == "ghost-limit":
			n, err := parseSize(v)
			if err != nil {
				return opt, nil, fmt.Errorf("ghost-limit=%s: %v", v, err)
			}
			opt.GhostLimit = n
		case k == "fail":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return opt, nil, fmt.Errorf("fail=%s: want a call number from 1", v)
			}
			opt.FailAt = n
		case k == "caps":
			var set vfs.CapSet
			for _, name := range strings.Split(v, ",") {
				c, ok := capNames[name]
				if !ok {
					return opt, nil, fmt.Errorf("caps=%s: unknown capability %q", v, name)
				}
				set |= c
			}
			caps = &set
		default:
			return opt, nil, fmt.Errorf("unknown option %q (want STRATEGY first, then caps=..., fail=N, link-remap=1 or ghost-limit=N)", w)
		}
	}
	if (opt.LinkRemap || opt.GhostLimit != 0) && opt.Strategy != StrategyCRIU {
		return opt, nil, fmt.Errorf("link-remap= and ghost-limit= are options of the criu strategy")
	}
	return opt, caps, nil
}

// parseSize reads a size as CRIU's --ghost-limit takes it: a number of
// bytes, with an optional K, M or G suffix (powers of 1024), from 1 up to
// 2^62.
func parseSize(v string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(v, "K"):
		mult, v = 1<<10, strings.TrimSuffix(v, "K")
	case strings.HasSuffix(v, "M"):
		mult, v = 1<<20, strings.TrimSuffix(v, "M")
	case strings.HasSuffix(v, "G"):
		mult, v = 1<<30, strings.TrimSuffix(v, "G")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > (1<<62)/mult {
		return 0, fmt.Errorf("want a size from 1 to 2^62 bytes, with an optional K, M or G")
	}
	return n * mult, nil
}

var capNames = map[string]vfs.CapSet{
	"fowner": 1 << vfs.CAP_FOWNER, "dac_override": 1 << vfs.CAP_DAC_OVERRIDE, "dac_read_search": 1 << vfs.CAP_DAC_READ_SEARCH,
	"sys_admin": 1 << vfs.CAP_SYS_ADMIN, "sys_chroot": 1 << vfs.CAP_SYS_CHROOT, "all": vfs.AllCaps, "none": 0,
}

// targets returns the script's tasks as checkpoint targets.
func targets(r *script.Runner) ([]Target, []script.TaskInfo, error) {
	infos := r.Tasks()
	var out []Target
	for _, ti := range infos {
		t, ok := ti.Sys.(*vfs.Task)
		if !ok {
			return nil, nil, fmt.Errorf("task %s is not a simulated task", ti.Name)
		}
		out = append(out, Target{Name: ti.Name, Task: t})
	}
	return out, infos, nil
}

func init() {
	script.OnBoot(func(k *vfs.Kernel) { Daemon(k) })
	for _, s := range []script.OpSpec{
		{Name: "checkpoint", Group: "checkpoint", Machine: true, Args: []script.Arg{script.ArgWords, script.ArgOut}, Usage: "checkpoint [STRATEGY] [caps=CAPS] [fail=N] [link-remap=1] [ghost-limit=N] -> IMG",
			Example: "checkpoint relink-upstream -> I",
			Help:    "checkpoint every task of the script into image IMG: strategy relink (the seed; default under the 2011 eras), relink-upstream (the port; default under upstream), criu (CRIU's link-remaps and ghost files; link-remap=1, ghost-limit=N), handle (file handles) or copy (contents into the image); caps= the checkpointer's capabilities, fail=N the N-th kernel call fails; ret: tasks, files, relinked files, remaps, data bytes in the image and moved",
			Check: func(op script.Op) (int, string) {
				if _, _, err := checkpointOptions(op.Words); err != nil {
					return 0, err.Error()
				}
				return 0, ""
			},
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				m, err := machine(r, op)
				if err != nil {
					return nil, err
				}
				opt, caps, _ := checkpointOptions(op.Words)
				tg, infos, err := targets(r)
				if err != nil {
					return nil, err
				}
				d := Daemon(m.K)
				if caps != nil {
					old := d.Cred()
					d.SetCred(&vfs.Cred{Caps: *caps})
					defer d.SetCred(old)
				}
				img, sum, err := Checkpoint(d, tg, opt)
				if err != nil {
					return nil, err
				}
				b := checkRoundTrip(img)
				store(m, &Stored{Name: op.Out, Image: img, Bytes: b, Tasks: infos, Current: r.CurrentTask()})
				return sum.String(), nil
			}},
		{Name: "kill", Group: "checkpoint", Machine: true,
			Help: "every task of the script exits (descriptors closed, as at exit); until a restart the ops run as " + Inspector + ", a clone of the checkpoint daemon, to look at the filesystem",
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				m, err := machine(r, op)
				if err != nil {
					return nil, err
				}
				for _, ti := range r.Tasks() {
					if e, ok := ti.Sys.(script.Exiter); ok {
						e.Exit()
					}
				}
				insp, err := Daemon(m.K).Clone(0)
				if err != nil {
					return nil, err
				}
				m.SetExt(killedKey{}, insp)
				m.SetInit(insp)
				return nil, r.SetTasks([]script.TaskInfo{{Name: Inspector, Sys: insp}}, Inspector)
			}},
		{Name: "restart", Group: "checkpoint", Machine: true, Args: []script.Arg{script.ArgWord, script.ArgWords}, Usage: "restart IMG [fail=N]", NoTask: true,
			Help: "the tasks of image IMG come back, with the same task and descriptor names (fail=N: the N-th kernel call fails); ret: tasks, files, data bytes moved",
			Check: func(op script.Op) (int, string) {
				if _, err := restartOptions(op.Words); err != nil {
					return 1, err.Error()
				}
				return 0, ""
			},
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				m, err := machine(r, op)
				if err != nil {
					return nil, err
				}
				st, err := lookup(m, op.Text)
				if err != nil {
					return nil, err
				}
				insp, _ := m.Ext(killedKey{}).(*vfs.Task)
				if insp == nil {
					return nil, fmt.Errorf("the script's tasks still run: kill them first")
				}
				opt, _ := restartOptions(op.Words)
				// The restart reads the image's bytes, as sys_restart
				// reads its file.
				img, err := Decode(st.Bytes)
				vfs.Assert(err == nil, "the image %s does not decode: %v", st.Name, err)
				restored, sum, err := Restart(Daemon(m.K), img, opt)
				if err != nil {
					return nil, err
				}
				infos := slices.Clone(st.Tasks)
				for i := range infos {
					infos[i].Sys = restored[i].Task
				}
				if err := r.SetTasks(infos, st.Current); err != nil {
					return nil, err
				}
				if sys, ok := r.TaskSys(script.FirstTask); ok {
					m.SetInit(sys.(*vfs.Task))
				}
				insp.Exit()
				m.SetExt(killedKey{}, nil)
				return fmt.Sprintf("tasks=%d files=%d data-bytes=%d", sum.Tasks, sum.Files, sum.DataBytes), nil
			}},
		{Name: "image", Group: "checkpoint", Machine: true, Args: []script.Arg{script.ArgWord}, Usage: "image IMG", NoTask: true,
			Help: "image IMG decoded, as JSON on one line (relinksim decode prints the same, indented)",
			Run: func(r *script.Runner, op script.Op, fd int) (any, error) {
				m, err := machine(r, op)
				if err != nil {
					return nil, err
				}
				st, err := lookup(m, op.Text)
				if err != nil {
					return nil, err
				}
				b, err := st.Image.JSON()
				if err != nil {
					return nil, err
				}
				var compact bytes.Buffer
				if err := json.Compact(&compact, b); err != nil {
					return nil, err
				}
				return compact.String(), nil
			}},
	} {
		script.Register(s)
	}
}

// restartOptions reads restart's words: fail=N.
func restartOptions(words []string) (Options, error) {
	var opt Options
	for _, w := range words {
		v, ok := strings.CutPrefix(w, "fail=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 1 {
			return opt, fmt.Errorf("unknown option %q (want fail=N, N from 1)", w)
		}
		opt.FailAt = n
	}
	return opt, nil
}

// checkRoundTrip encodes an image the checkpoint wrote, decodes the bytes and
// encodes the result again: the image must encode, decode, and give the
// same bytes (crit's round trip), or the simulator has a bug.
func checkRoundTrip(img *Image) []byte {
	b, err := Encode(img)
	vfs.Assert(err == nil, "the checkpoint wrote an image that does not encode: %v", err)
	dec, err := Decode(b)
	vfs.Assert(err == nil, "an image does not decode: %v", err)
	b2, err := Encode(dec)
	vfs.Assert(err == nil && bytes.Equal(b, b2), "decode then encode of an image gives other bytes (%v)", err)
	return b
}
