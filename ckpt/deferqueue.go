package ckpt

// deferqueue models kernel/deferqueue.c as the seed uses it (ctx->err_deferq):
// entries carry a function, which deferqueue_run calls (the seed runs the
// queue only when the checkpoint or restart failed), and a destructor,
// which deferqueue_destroy calls for every entry not run. The seed's
// restart puts "keep the relinked name" as the function and "unlink it"
// as the destructor: a failed restart keeps every name, a successful one
// removes them.
type deferqueue struct {
	entries []dqEntry
}

type dqEntry struct {
	fn, dtor func() error
}

// add models deferqueue_add: entries run in the order they were added.
func (q *deferqueue) add(fn, dtor func() error) {
	q.entries = append(q.entries, dqEntry{fn, dtor})
}

// run models deferqueue_run: every entry's function, first added first,
// each removed; the first error is returned after all ran.
func (q *deferqueue) run() error {
	var first error
	for len(q.entries) > 0 {
		e := q.entries[0]
		q.entries = q.entries[1:]
		if e.fn != nil {
			if err := e.fn(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// destroy models deferqueue_destroy: the destructor of every entry still
// queued.
func (q *deferqueue) destroy() error {
	var first error
	for _, e := range q.entries {
		if e.dtor != nil {
			if err := e.dtor(); err != nil && first == nil {
				first = err
			}
		}
	}
	q.entries = nil
	return first
}
