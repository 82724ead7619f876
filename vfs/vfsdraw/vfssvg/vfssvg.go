package vfssvg

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/goccy/go-graphviz"
)

// Renderer renders DOT to SVG. One holds a Graphviz instance (its
// WebAssembly module compiled once); Close releases it. A Renderer is
// safe for use by one goroutine at a time.
type Renderer struct {
	mu sync.Mutex
	gv *graphviz.Graphviz
}

// New starts a Renderer.
func New(ctx context.Context) (*Renderer, error) {
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("vfssvg: starting Graphviz: %w", err)
	}
	return &Renderer{gv: gv}, nil
}

// Close releases the Graphviz instance.
func (r *Renderer) Close() error { return r.gv.Close() }

// SVG parses dot and lays it out with dot, returning the SVG document. A
// graph Graphviz cannot parse is an error naming what it said.
func (r *Renderer) SVG(ctx context.Context, dot []byte) ([]byte, error) {
	return r.render(ctx, dot, graphviz.SVG)
}

// Layout parses dot and lays it out with dot, returning the graph in
// Graphviz's own DOT output, each node and edge with its position (pos)
// and each node with its size: where the SVG would draw them.
func (r *Renderer) Layout(ctx context.Context, dot []byte) ([]byte, error) {
	return r.render(ctx, dot, graphviz.XDOT)
}

func (r *Renderer) render(ctx context.Context, dot []byte, format graphviz.Format) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return nil, fmt.Errorf("vfssvg: the DOT does not parse: %w", err)
	}
	defer g.Close()
	var buf bytes.Buffer
	if err := r.gv.Render(ctx, g, format, &buf); err != nil {
		return nil, fmt.Errorf("vfssvg: rendering %s: %w", format, err)
	}
	return buf.Bytes(), nil
}
