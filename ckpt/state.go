package ckpt

import "github.com/relinksim/relinksim/vfs"

// kstate is what the package keeps per kernel (vfs.Kernel.Ext): the last
// checkpoint id handed out, and the checkpoint daemon.
type kstate struct {
	crid   uint32
	daemon *vfs.Task
}

type stateKey struct{}

func state(k *vfs.Kernel) *kstate {
	if s, ok := k.Ext(stateKey{}).(*kstate); ok {
		return s
	}
	s := &kstate{}
	k.SetExt(stateKey{}, s)
	return s
}

// Daemon returns k's checkpoint daemon: a root task in the initial mount
// namespace, forked from init at boot, that runs checkpoints and restarts
// (current, in the seed's code) on behalf of the container's tasks, which
// it outlives. A kernel booted without it (not by a script.Machine) gets
// one forked from its init task now, which must still be alive.
func Daemon(k *vfs.Kernel) *vfs.Task {
	s := state(k)
	if s.daemon == nil || s.daemon.Dead() {
		s.daemon = k.Init().Fork()
		s.daemon.SetCred(vfs.RootCred())
		s.daemon.SetComm("ckpt daemon")
	}
	return s.daemon
}
