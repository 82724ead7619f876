//go:build !linux

package hostkernel

// Available reports why the real kernel cannot be used here.
func Available() string { return "needs Linux: the kernel-differential tests drive the host kernel" }
