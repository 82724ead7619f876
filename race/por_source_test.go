package race

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The reduction's independence (por.go) rests on how package vfs takes
// and drops its locks; this test reads vfs's source and fails when that
// changes, so that whoever changes it looks at por.go again:
//
//   - a lock's holder and readers are written only by Acquire,
//     AcquireShared, Release and ReleaseShared (vfs/lock.go);
//   - Scheduler.Block is called only by Acquire and AcquireShared, from a
//     wait loop that comes right after their "before lock" yield and
//     does nothing but look at the lock (or call Bug, which panics), so
//     a step that ends blocked ran nothing else;
//   - Acquire and AcquireShared take the lock after that loop (at the
//     start of the step that follows the yield), Release and
//     ReleaseShared drop it before their "after unlock" yield (at the end
//     of the step), and the yields name the lock as por.go reads them.
func TestIndependenceRestsOnLockGo(t *testing.T) {
	problems, err := lockGoProblems(filepath.Join("..", "vfs"))
	if err != nil {
		t.Skipf("vfs does not type-check here (%v)", err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// The check above sees a lock written elsewhere and a wait loop that does
// more, in a copy of vfs changed so.
func TestLockGoChecksHaveTeeth(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "vfs")
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "lock.go" {
			s := strings.Replace(string(b), "\t\tk.scheduler.Block(t, l, false)", "\t\tk.clock++\n\t\tk.scheduler.Block(t, l, false)", 1)
			s = strings.Replace(s, "func (k *Kernel) PreemptPoint(where string) {", "func (k *Kernel) PreemptPoint(where string) {\n\tvar l Lock\n\tl.readers = 1\n\t_ = l", 1)
			if s == string(b) {
				t.Fatal("lock.go changed: update the mutations")
			}
			b = []byte(s)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	problems, err := lockGoProblems(dir)
	if err != nil {
		t.Skipf("vfs does not type-check here (%v)", err)
	}
	var saw [2]bool
	for _, p := range problems {
		saw[0] = saw[0] || strings.Contains(p, "Acquire: the wait loop does more than look at the lock")
		saw[1] = saw[1] || strings.Contains(p, "PreemptPoint writes a lock's readers")
	}
	if !saw[0] || !saw[1] {
		t.Errorf("problems found: %q", problems)
	}
}

// lockGoProblems checks the vfs source in dir; an error says it does not
// type-check.
func lockGoProblems(dir string) ([]string, error) {
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	fset := token.NewFileSet()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, 0)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}}
	conf := types.Config{Importer: importer.Default()}
	if _, err := conf.Check("github.com/relinksim/relinksim/vfs", fset, files, info); err != nil {
		return nil, err
	}
	// lockField reports whether e selects Lock.holder or Lock.readers.
	lockField := func(e ast.Expr) bool {
		sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
		if !ok {
			return false
		}
		s := info.Selections[sel]
		if s == nil || s.Kind() != types.FieldVal {
			return false
		}
		recv := s.Recv()
		if p, ok := recv.(*types.Pointer); ok {
			recv = p.Elem()
		}
		n, ok := recv.(*types.Named)
		return ok && n.Obj().Name() == "Lock" && (sel.Sel.Name == "holder" || sel.Sel.Name == "readers")
	}
	// schedCall returns the Scheduler method a call makes ("Yield",
	// "Block"), or "".
	schedCall := func(c *ast.CallExpr) string {
		sel, ok := c.Fun.(*ast.SelectorExpr)
		if !ok {
			return ""
		}
		s := info.Selections[sel]
		if s == nil || s.Kind() != types.MethodVal {
			return ""
		}
		if n, ok := s.Recv().(*types.Named); ok && n.Obj().Name() == "Scheduler" {
			return sel.Sel.Name
		}
		return ""
	}
	writers := map[string]bool{"Acquire": true, "AcquireShared": true, "Release": true, "ReleaseShared": true}
	funcs := map[string]*ast.FuncDecl{}
	for _, f := range files {
		file := filepath.Base(fset.Position(f.Pos()).Filename)
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := fd.Name.Name
			if file == "lock.go" {
				funcs[name] = fd
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				var lhs []ast.Expr
				switch n := n.(type) {
				case *ast.AssignStmt:
					lhs = n.Lhs
				case *ast.IncDecStmt:
					lhs = []ast.Expr{n.X}
				case *ast.CallExpr:
					if schedCall(n) == "Block" && (file != "lock.go" || (name != "Acquire" && name != "AcquireShared")) {
						errorf("%s: %s calls Scheduler.Block", fset.Position(n.Pos()), name)
					}
				}
				for _, e := range lhs {
					if lockField(e) && (file != "lock.go" || !writers[name]) {
						errorf("%s: %s writes a lock's %s", fset.Position(e.Pos()), name, e.(*ast.SelectorExpr).Sel.Name)
					}
				}
				return true
			})
		}
	}
	yieldPoint := func(s ast.Stmt) string {
		is, ok := s.(*ast.IfStmt)
		if !ok || len(is.Body.List) != 1 {
			return ""
		}
		es, ok := is.Body.List[0].(*ast.ExprStmt)
		if !ok {
			return ""
		}
		c, ok := es.X.(*ast.CallExpr)
		if !ok || schedCall(c) != "Yield" || len(c.Args) != 2 {
			return ""
		}
		return types.ExprString(c.Args[1])
	}
	noCalls := func(n ast.Node) bool {
		calls := false
		ast.Inspect(n, func(n ast.Node) bool {
			if _, ok := n.(*ast.CallExpr); ok {
				calls = true
			}
			return true
		})
		return !calls
	}
	callsBug := func(s ast.Stmt) bool {
		is, ok := s.(*ast.IfStmt)
		if !ok || is.Init != nil || is.Else != nil || !noCalls(is.Cond) || len(is.Body.List) != 1 {
			return false
		}
		es, ok := is.Body.List[0].(*ast.ExprStmt)
		if !ok {
			return false
		}
		c, ok := es.X.(*ast.CallExpr)
		id, ok2 := c.Fun.(*ast.Ident)
		return ok && ok2 && id.Name == "Bug"
	}
	for name, point := range map[string]string{
		"Acquire":       `"before lock " + l.Name + " in " + where`,
		"AcquireShared": `"before lock " + l.Name + " (shared) in " + where`,
	} {
		fd := funcs[name]
		if fd == nil {
			errorf("vfs/lock.go has no %s", name)
			continue
		}
		body := fd.Body.List
		i := 0
		for i < len(body) && yieldPoint(body[i]) == "" {
			i++
		}
		if i+2 >= len(body) || yieldPoint(body[i]) != point {
			errorf("%s: no yield at %s before its wait loop", name, point)
			continue
		}
		loop, ok := body[i+1].(*ast.ForStmt)
		if !ok || loop.Init != nil || loop.Post != nil || !noCalls(loop.Cond) || len(loop.Body.List) == 0 {
			errorf("%s: the yield is not followed by a wait loop that only looks at the lock", name)
			continue
		}
		stmts := loop.Body.List
		for _, s := range stmts[:len(stmts)-1] {
			if !callsBug(s) {
				errorf("%s: the wait loop does more than look at the lock: %s", name, fset.Position(s.Pos()))
			}
		}
		es, ok := stmts[len(stmts)-1].(*ast.ExprStmt)
		if c, ok2 := es.X.(*ast.CallExpr); !ok || !ok2 || schedCall(c) != "Block" {
			errorf("%s: the wait loop does not end by blocking", name)
		}
		for _, s := range body[i+2:] {
			var lhs ast.Expr
			switch s := s.(type) {
			case *ast.AssignStmt:
				lhs = s.Lhs[0]
			case *ast.IncDecStmt:
				lhs = s.X
			}
			if lhs == nil || !lockField(lhs) {
				errorf("%s: after the wait loop it does more than take the lock: %s", name, fset.Position(s.Pos()))
			}
		}
	}
	for name, point := range map[string]string{
		"Release":       `"after unlock " + l.Name + " in " + where`,
		"ReleaseShared": `"after unlock " + l.Name + " (shared) in " + where`,
	} {
		fd := funcs[name]
		if fd == nil {
			errorf("vfs/lock.go has no %s", name)
			continue
		}
		body := fd.Body.List
		if len(body) == 0 || yieldPoint(body[len(body)-1]) != point {
			errorf("%s does not end with its yield at %s", name, point)
		}
	}
	return problems, nil
}
