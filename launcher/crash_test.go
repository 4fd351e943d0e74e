package launcher

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/logfile"
)

// newosprocCrash is a Go program's crash when it cannot make a thread (ulimit -u): its
// own lines first, then a stack trace of some 170 lines, which ends in register dumps.
func newosprocCrash() []string {
	lines := []string{
		"app: starting",
		"runtime: failed to create new OS thread (have 2 already; errno=11)",
		"runtime: may need to increase max user processes (ulimit -u)",
		"fatal error: newosproc",
		"",
		"runtime stack:",
	}
	for i := range 30 {
		lines = append(lines, fmt.Sprintf("runtime.newm1(0xc000%03d)", i), "\t/usr/local/go/src/runtime/proc.go:2927 +0xbd fp=0x7ffd sp=0x7ffd pc=0x43a1fd")
	}
	lines = append(lines, "", "goroutine 1 [running]:")
	for i := range 40 {
		lines = append(lines, fmt.Sprintf("main.work%d(...)", i), "\t/src/app/main.go:12 +0x1d")
	}
	lines = append(lines, "", "goroutine 2 [force gc (idle)]:", "runtime.gopark(0x0?, 0x0?)", "\t/usr/local/go/src/runtime/proc.go:424 +0xce")
	for _, r := range []string{"rax", "rbx", "rcx", "rdx", "rdi", "rsi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags", "cs", "fs", "gs"} {
		lines = append(lines, r+"    0x0")
	}
	return lines
}

// TestFormatTailGoCrash: the end of a log that holds a Go crash is quoted as the crash's
// own lines ("runtime: ...", "fatal error: ...", and "panic: ..." with the lines after it
// up to the blank one before the stack),
// with a word that the stack trace is in the log, not as the end of its stack trace.
func TestFormatTailGoCrash(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines []string
		want  []string
	}{
		{"newosproc", newosprocCrash(), []string{
			"runtime: failed to create new OS thread (have 2 already; errno=11)",
			"runtime: may need to increase max user processes (ulimit -u)",
			"fatal error: newosproc",
		}},
		{"nil pointer", []string{
			"listening", "panic: runtime error: invalid memory address or nil pointer dereference",
			"[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x47e5a4]", "",
			"goroutine 1 [running]:", "main.main()", "\t/src/app/main.go:9 +0x24", "exit status 2",
		}, []string{
			"panic: runtime error: invalid memory address or nil pointer dereference",
			"[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x47e5a4]",
		}},
		{"nested panic", []string{
			"panic: first [recovered]", "\tpanic: second", "", "goroutine 7 [running]:", "main.f()",
		}, []string{"panic: first [recovered]", "\tpanic: second"}},
		{"a message of several lines, with a re-panic's", []string{
			"panic: config: three problems:", "  port: missing", "  host: missing [recovered]",
			"\tpanic: again", "", "goroutine 1 [running]:", "main.main()",
		}, []string{"panic: config: three problems:", "  port: missing", "  host: missing [recovered]", "\tpanic: again"}},
		{"deadlock", []string{
			"fatal error: all goroutines are asleep - deadlock!", "", "goroutine 1 [chan receive]:", "main.main()",
		}, []string{"fatal error: all goroutines are asleep - deadlock!"}},
		{"stack overflow, a runtime throw's header", []string{
			"runtime: goroutine stack exceeds 1000000000-byte limit", "runtime: sp=0xc020160398 stack=[0xc020160000, 0xc040160000]",
			"fatal error: stack overflow", "", "runtime stack:", "runtime.throw({0x4a1b2c?, 0x0?})", "",
			"goroutine 1 gp=0xc000002380 m=0 mp=0x5a8e20 [running]:", "main.f(0x0?)",
		}, []string{
			"runtime: goroutine stack exceeds 1000000000-byte limit", "runtime: sp=0xc020160398 stack=[0xc020160000, 0xc040160000]",
			"fatal error: stack overflow",
		}},
	} {
		got := formatTail(tc.lines, "/var/log/app.log")
		want := "\nit crashed (a Go runtime error; the stack trace follows these lines in /var/log/app.log):\n    " + strings.Join(tc.want, "\n    ")
		if got != want {
			t.Errorf("%s: formatTail =\n%s\nwant\n%s", tc.name, got, want)
		}
	}
}

// TestFormatTailNotACrash: a stack trace whose crash lines are further back than the lines
// given, and lines that only look like a crash's, are quoted as the last lines.
func TestFormatTailNotACrash(t *testing.T) {
	cut := newosprocCrash()[20:] // the crash's own lines are gone
	for _, lines := range [][]string{
		cut,
		{"runtime: 5s", "panic: no", "goroutine pool [started]", "goroutine 1 is idle", "done"},
	} {
		got := formatTail(lines, "/var/log/app.log")
		want := "\nlast lines of its log:\n    " + strings.Join(lines[max(0, len(lines)-tailLines):], "\n    ")
		if got != want {
			t.Errorf("formatTail =\n%s\nwant\n%s", got, want)
		}
	}
}

// TestFormatTailCgoThreadCrash: a cgo build that cannot make a thread (ulimit -u) crashes
// with "runtime/cgo: pthread_create failed" and a SIGABRT, not the runtime's own words: the
// error quotes those lines, not the end of the register dump, and names the limit to raise.
func TestFormatTailCgoThreadCrash(t *testing.T) {
	lines := []string{
		"runtime/cgo: pthread_create failed: Resource temporarily unavailable",
		"SIGABRT: abort",
		"PC=0x7f3bc05b9eec m=5 sigcode=18446744073709551610",
		"",
		"goroutine 0 gp=0x1b17df4fc000 m=5 mp=0x1b17df4fa008 [idle]:",
		"runtime: g 0 gp=0x1b17df4fc000: unknown pc 0x7f3bc05b9eec",
	}
	for _, r := range []string{"rax", "rbx", "r11", "r12"} {
		lines = append(lines, r+"    0x246")
	}
	got := formatTail(lines, "/var/log/app.log")
	want := "\nit crashed (a Go runtime error; the stack trace follows these lines in /var/log/app.log):" +
		"\n    runtime/cgo: pthread_create failed: Resource temporarily unavailable" +
		"\n    SIGABRT: abort" +
		"\nit could not make a thread: its user's processes and threads reached their limit (ulimit -u, RLIMIT_NPROC: "
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "raise ulimit -u in the shell that starts daemonkit (LimitNPROC= in a unit)") {
		t.Errorf("formatTail =\n%s\nwant it to begin\n%s", got, want)
	}
	if strings.Contains(got, "0x246") {
		t.Errorf("formatTail quotes the register dump:\n%s", got)
	}
}

// TestCrashFarBack: a Go crash whose stack trace is longer than Tail reads is quoted by its
// reason line, found further back; a "panic: " line of the program's own output is not,
// when what follows it is not the runtime's layout, as with a later SIGQUIT dump (which
// has no reason line): the end of the log is quoted then, as before.
func TestCrashFarBack(t *testing.T) {
	stack := func(b *strings.Builder) {
		for g := 1; b.Len() < 40<<10; g++ {
			fmt.Fprintf(b, "goroutine %d [select]:\nmain.worker(%d)\n\t/src/app/main.go:30 +0x1d\ncreated by main.main in goroutine 1\n\t/src/app/main.go:12 +0x2a\n\n", g, g)
		}
	}
	var real strings.Builder
	real.WriteString("app: starting\npanic: the reason\n\tmore of it\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:9 +0x24\n\n")
	stack(&real)
	var quit strings.Builder
	quit.WriteString("app: starting\npanic: recovered and logged, the program goes on\napp: serving\n")
	quit.WriteString("SIGQUIT: quit\nPC=0x47e5a4 m=0 sigcode=0\n\ngoroutine 0 gp=0x5a8e20 m=0 mp=0x5a9000 [idle]:\nruntime.futex(0x5a9140, 0x80, 0x0)\n\n")
	stack(&quit)
	var noBlank strings.Builder
	noBlank.WriteString("panic: in the program's output\nSIGQUIT: quit\nPC=0x47e5a4 m=0 sigcode=0\n\ngoroutine 0 [idle]:\nruntime.futex(0x5a9140, 0x80, 0x0)\n\n")
	stack(&noBlank)
	for _, tc := range []struct {
		name, log string
		want      []string
	}{
		{"crash", real.String(), []string{"panic: the reason", "\tmore of it"}},
		{"SIGQUIT after a panic line of the output", quit.String(), nil},
		{"SIGQUIT right after a panic line", noBlank.String(), nil},
	} {
		path := filepath.Join(t.TempDir(), "app.log")
		if err := os.WriteFile(path, []byte(tc.log), 0o644); err != nil {
			t.Fatal(err)
		}
		lines := logfile.Tail(path, 0, scanLines)
		if goCrash(lines) != nil {
			t.Fatalf("%s: the last 16 KiB hold the reason already: make the stack longer", tc.name)
		}
		crash, _ := crashFarBack(lines, path, 0)
		if !slices.Equal(crash, tc.want) {
			t.Errorf("%s: crashFarBack = %q, want %q", tc.name, crash, tc.want)
		}
	}
}

// TestCrashFarBackCgoThread: a cgo build that cannot make a thread (ulimit -u) aborts with
// "runtime/cgo: pthread_create failed" and "SIGABRT: abort", then dumps registers, memory
// and every goroutine: past 16 KiB, the end of the log holds neither line, only a
// traceback's own "runtime: g 0 gp=...: unknown pc", which is no reason. The error quotes
// the reason, found further back, and names the limit to raise. (It quoted "runtime: g 0
// gp=0x...: unknown pc 0x...", without the limit, of a supervisor started under ulimit -u.)
func TestCrashFarBackCgoThread(t *testing.T) {
	var b strings.Builder
	b.WriteString("runtime/cgo: pthread_create failed: Resource temporarily unavailable\nSIGABRT: abort\nPC=0x7fc6ad0e4eec m=5 sigcode=18446744073709551610\n\n")
	b.WriteString("goroutine 0 gp=0x256e383003c0 m=5 mp=0x256e38304008 [idle]:\nruntime: g 0 gp=0x256e383003c0: unknown pc 0x7fc6ad0e4eec\n")
	for i := range 40 {
		fmt.Fprintf(&b, "00007fc664b9b%03x: 00000000 00000000  00000000 00000000  ................\n", i*16)
	}
	b.WriteString("runtime: g 0 gp=0x256e383003c0: unknown pc 0x7fc6ad0e4eec\nstack: frame={sp:0x7fc664b9ba30, fp:0x0}\n\n")
	for g := 1; b.Len() < 40<<10; g++ {
		fmt.Fprintf(&b, "goroutine %d gp=0x256e382201e0 m=nil [select]:\nruntime.gopark(0x256e38248eb0?, 0x8?)\n\t/usr/local/go/src/runtime/proc.go:435 +0xce\n\n", g)
	}
	path := filepath.Join(t.TempDir(), "app.log")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lines := logfile.Tail(path, 0, scanLines)
	if slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "runtime/cgo: ") }) {
		t.Fatal("the last 16 KiB hold the reason already: make the stack longer")
	}
	crash, span := crashFarBack(lines, path, 0)
	want := []string{"runtime/cgo: pthread_create failed: Resource temporarily unavailable", "SIGABRT: abort"}
	if !slices.Equal(crash, want) {
		t.Fatalf("crashFarBack = %q, want %q", crash, want)
	}
	if got := formatCrash(crash, path, span); !strings.Contains(got, "it could not make a thread") {
		t.Errorf("formatCrash = %s\nwant it to name the limit on threads", got)
	}
}
