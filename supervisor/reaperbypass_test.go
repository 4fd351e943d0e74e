package supervisor

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// allowedSignals are the places in this package's code, every system's, that may send a
// signal by other means than the reaper's kill, each with why it reaches no pid a reaped
// child left free: file, enclosing function, the call (or reference) as types.ExprString
// prints it.
var allowedSignals = []struct{ file, fn, expr, why string }{
	{"reaper.go", "", "syscall.Kill", "killPID's value: the one kill(2) the reaper sends through"},
	{"reaper.go", "(*reaper).kill", "killPID(pid, sig)", "the reaper's kill itself: under mu, only while the very child it is given (its registration, not another given its pid since) is waited for (or no reaper reaps it)"},
	{"supervisor.go", "sendTo", "killPID(pid, sig)", "no reaper: nothing reaps the child, so its pid stays its own (the reaper's kill does the same)"},
	{"mainproc.go", "signalNamed", "h.Signal(sig)", "a pidfd, opened on a MAINPID when it was taken and checked then to descend from this process (openMain): never a pid's next owner"},
	{"mainproc.go", "mainEnded", "h.Signal(0)", "signal 0 (no signal), through the pidfd on a MAINPID: whether that very process still runs"},
	{"reaper.go", "(*reaper).killGroup", "killPID(-pid, syscall.SIGKILL)", "the group of a child under mu, only while that child is waited for (its pid keeps the group's number its own), or with no reaper"},
	{"reaper.go", "(*reaper).killGroup", "proc.KillGroup(ctx, os.Getpid(), pid, another, spare...)", "a reaped leader's group: members below this process found in /proc, signalled through a pidfd checked after, only while no process has the pid"},
	{"witness_linux.go", "(*witness).alive", "w.h.Signal(0)", "a pidfd on the witness"},
	{"witness_linux.go", "(*witness).stop", "w.h.Signal(syscall.SIGKILL)", "a pidfd on the witness"},
	{"kill_linux.go", "(*Supervisor).killInstance", "proc.KillBelow(ctx, os.Getpid(), group, w.pids()...)", "found in /proc, signalled through a pidfd opened and checked after"},
	{"kill_linux.go", "(*run).killDeadCopies", "instance.KillMarked(instance.InvocationEnv + \"=\" + run, (func(pid int) bool literal))", "found by its mark in /proc, signalled through a handle opened and checked after"},
}

// signalFuncs are the package-level functions, by import path, that send a signal to the
// pid they are given (or may: a raw system call), besides any whose name says Kill.
var signalFuncs = map[string]*regexp.Regexp{
	"syscall":               regexp.MustCompile(`^(Kill|Tgkill|(Raw)?Syscall6?)$`),
	"golang.org/x/sys/unix": regexp.MustCompile(`^(Kill|Tgkill|Tkill|PidfdSendSignal|RtSigqueueinfo|(Raw)?Syscall(6|NoError)?)$`),
}

// A child's own pid is free for the kernel to give to a stranger the moment the reaper
// reaps it, and the loop may still name it: every signal to it must go through the
// reaper's kill, which sends only while the reaper waits for that very child (by its
// registration: not another child given its pid since), under the lock every reap takes
// (TestReaperKillDuringReapSendsNothing). A test that replaces killPID
// (TestSignalAfterReapSendsNothing) cannot see a signal sent past it, so this looks for
// every way to signal in the package's code, every system's: kill(2) and its kin,
// killPID, a Signal or Kill method (an *os.Process, a proc.Process), any function named
// Kill-something of another package. What it finds must be allowed in allowedSignals,
// with the reason it never reaches a reaped child's pid.
func TestNoSignalBypassesTheReaper(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	type place struct{ file, fn, expr string }
	found := map[place]int{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range signalsIn(t, f) {
			found[place{name, s.fn, s.expr}]++
		}
	}
	used := make([]bool, len(allowedSignals))
	for p, n := range found {
		ok := false
		for i, a := range allowedSignals {
			if a.file == p.file && a.fn == p.fn && a.expr == p.expr {
				ok, used[i] = true, true
			}
		}
		if !ok {
			t.Errorf("%s: %s sends a signal past the reaper (%d×) in %s: signal a child through r.reaper.kill or s.signal, which send only while it is not reaped (its pid may be a stranger's after); if it is no child's own pid (a pidfd, a process group), add it to allowedSignals, saying why",
				p.file, strconv.Quote(p.expr), n, orTop(p.fn))
		}
	}
	for i, a := range allowedSignals {
		if !used[i] {
			t.Errorf("allowedSignals: %s in %s of %s is gone from the code: remove it", strconv.Quote(a.expr), orTop(a.fn), a.file)
		}
	}
}

func orTop(fn string) string {
	if fn == "" {
		return "package scope"
	}
	return fn
}

// signalAt is one way to signal found in a file: in function fn ("" at package scope), the
// call or the reference expr.
type signalAt struct{ fn, expr string }

// signalsIn finds the ways to signal in f (see TestNoSignalBypassesTheReaper).
func signalsIn(t *testing.T, f *ast.File) []signalAt {
	t.Helper()
	imports := map[string]string{} // the name a file uses for a package: its path
	for _, is := range f.Imports {
		path, _ := strconv.Unquote(is.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if is.Name != nil {
			name = is.Name.Name
		}
		if name == "." {
			t.Fatalf("%s: a dot import of %s hides what it calls from this test", f.Name.Name, path)
		}
		imports[name] = path
	}
	// pkgPath is the path of the package x names, "" if it names none. Without object
	// resolution, a local name that shadows an import is taken for it: a superset.
	pkgPath := func(x ast.Expr) string {
		if id, ok := x.(*ast.Ident); ok {
			return imports[id.Name]
		}
		return ""
	}
	var out []signalAt
	for _, d := range f.Decls {
		fn := ""
		if fd, ok := d.(*ast.FuncDecl); ok {
			fn = fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				recv := fd.Recv.List[0].Type
				if star, ok := recv.(*ast.StarExpr); ok {
					fn = "(*" + types.ExprString(star.X) + ")." + fn
				} else {
					fn = types.ExprString(recv) + "." + fn
				}
			}
		}
		calls := map[ast.Expr]*ast.CallExpr{} // a call's function: the call
		ast.Inspect(d, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				calls[c.Fun] = c
			}
			return true
		})
		whole := func(e ast.Expr) string { // the call e is the function of, else e
			if c, ok := calls[e]; ok {
				return types.ExprString(c)
			}
			return types.ExprString(e)
		}
		ast.Inspect(d, func(n ast.Node) bool {
			switch e := n.(type) {
			case *ast.SelectorExpr:
				name := e.Sel.Name
				if path := pkgPath(e.X); path != "" {
					if re := signalFuncs[path]; re != nil && re.MatchString(name) || calls[e] != nil && strings.Contains(name, "Kill") {
						out = append(out, signalAt{fn, whole(e)})
					}
					return false
				}
				if c := calls[e]; c != nil && (name == "Kill" || name == "Signal" && len(c.Args) == 1) {
					// os.Process's, proc.Process's (a WaitStatus's Signal takes nothing)
					out = append(out, signalAt{fn, whole(e)})
				}
			case *ast.Ident:
				if e.Name == "killPID" {
					if vs, ok := d.(*ast.GenDecl); ok && declares(vs, e) {
						return true
					}
					out = append(out, signalAt{fn, whole(e)})
				}
			}
			return true
		})
	}
	return out
}

// declares says whether id is a name d declares (killPID's own var).
func declares(d *ast.GenDecl, id *ast.Ident) bool {
	for _, s := range d.Specs {
		if vs, ok := s.(*ast.ValueSpec); ok {
			for _, n := range vs.Names {
				if n == id {
					return true
				}
			}
		}
	}
	return false
}
