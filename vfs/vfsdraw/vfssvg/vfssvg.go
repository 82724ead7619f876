// Package vfssvg renders vfsdraw's pictures as SVG in pure Go, so that
// nothing has to be installed: it runs Graphviz itself, compiled to
// WebAssembly and executed by wazero (github.com/goccy/go-graphviz), with
// the dot layout engine. It is a package of its own so that importing
// vfsdraw does not bring Graphviz along.
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
	r.mu.Lock()
	defer r.mu.Unlock()
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return nil, fmt.Errorf("vfssvg: the DOT does not parse: %w", err)
	}
	defer g.Close()
	var buf bytes.Buffer
	if err := r.gv.Render(ctx, g, graphviz.SVG, &buf); err != nil {
		return nil, fmt.Errorf("vfssvg: rendering: %w", err)
	}
	return buf.Bytes(), nil
}
