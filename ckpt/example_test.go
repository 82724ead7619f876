package ckpt_test

import (
	"fmt"

	"github.com/relinksim/relinksim/ckpt"
	"github.com/relinksim/relinksim/script"
	"github.com/relinksim/relinksim/vfs"
)

// The cover letter's program, checkpointed after creat("a") by the port
// of the seed to today's kernel (relink-upstream), killed, and restarted:
// its old descriptor still reaches "b", and neither the checkpoint nor the
// restart moved a byte of file data.
func Example() {
	m, err := script.Boot(script.Config{}) // upstream kernel, tmpfs on /mnt
	if err != nil {
		panic(err)
	}
	w := m.Init().Fork()
	w.Chdir("/mnt")
	fd, _ := w.Open("a", vfs.O_CREAT|vfs.O_RDWR, 0o644)
	w.Write(fd, []byte("foo"))
	w.Link("a", "b")
	w.Unlink("a")
	w.Creat("a", 0o644)

	opt := ckpt.Options{Strategy: ckpt.StrategyRelinkUpstream}
	img, sum, err := ckpt.Checkpoint(ckpt.Daemon(m.K), []ckpt.Target{{Name: "w", Task: w}}, opt)
	fmt.Println("checkpoint:", sum, err)
	w.Exit()
	restored, sum, err := ckpt.Restart(ckpt.Daemon(m.K), img, opt)
	fmt.Println("restart:", sum, err)

	t := restored[0].Task
	t.Write(fd, []byte("bar"))
	b, _ := t.Open("/mnt/b", vfs.O_RDONLY, 0)
	buf := make([]byte, 16)
	n, _ := t.Read(b, buf)
	fmt.Printf("b: %q\n", buf[:n])
	// Output:
	// checkpoint: tasks=1 files=2 relinked=1 data-bytes=0 <nil>
	// restart: tasks=1 files=2 relinked=0 data-bytes=0 <nil>
	// b: "foobar"
}

// One line of the cost table: two files on tmpfs, both unlinked while
// open, through each relink strategy on the same machine.
func ExampleCosts() {
	tab, err := ckpt.Costs(ckpt.CostConfig{FS: "tmpfs", Files: 2, Size: 4096, Unlinked: 1,
		Strategies: []string{ckpt.StrategyRelinkUpstream, ckpt.StrategyCRIU}, Transports: []string{ckpt.TransportSame}})
	if err != nil {
		panic(err)
	}
	for _, r := range tab.Rows {
		fmt.Printf("%s/%s: ok=%v checkpoint=%d image=%d restart=%d reaches-b=%s same-ino=%s\n",
			r.Strategy, r.Transport, r.OK, r.CheckpointBytes, r.ImageBytes, r.RestartBytes, r.WriteReachesB, r.SameInode)
	}
	// Output:
	// relink-upstream/same: ok=true checkpoint=0 image=0 restart=0 reaches-b=yes same-ino=yes
	// criu/same: ok=true checkpoint=4096 image=4096 restart=4096 reaches-b=yes same-ino=no
}
