// Package vfssvg renders vfsdraw's pictures as SVG in pure Go, so that
// nothing has to be installed: it runs Graphviz itself, compiled to
// WebAssembly and executed by wazero (github.com/goccy/go-graphviz), with
// the dot layout engine. It is a package of its own so that importing
// vfsdraw does not bring Graphviz along.
package vfssvg
