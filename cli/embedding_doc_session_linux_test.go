package cli

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/pidfile"
)

// TestEmbeddingDocTickerSession runs the session docs/embedding.md shows under "What it
// gives", command by command, against examples/ticker built as a user builds it, and checks
// that each prints what the page shows (pids, times and durations aside, and the page's
// /run/ticker and /var/log/ticker made directories of the test's) and exits as the page's
// "# exit N" says, 0 otherwise: so that a reader who types it gets what the page promises.
func TestEmbeddingDocTickerSession(t *testing.T) {
	goTool, root, doc := embeddingDoc(t, "builds the ticker and runs it")
	m := regexp.MustCompile("(?s)What it gives:\n\n```console\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/embedding.md: no console block after \"What it gives:\"")
	}
	steps := docSession(string(m[1]))
	if len(steps) < 5 {
		t.Fatalf("docs/embedding.md: %d commands in the ticker's session", len(steps))
	}

	tmp := t.TempDir()
	ticker := filepath.Join(tmp, "ticker")
	build := exec.Command(goTool, "build", "-o", ticker, "./examples/ticker")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/ticker: %v\n%s", err, out)
	}
	state, logs := filepath.Join(tmp, "run", "ticker"), filepath.Join(tmp, "var", "log", "ticker")
	env := testutil.Environ("TICKER_STATE_DIR="+state, "TICKER_LOG_DIR="+logs, "TICKER_STRATEGY=", "TICKER_LOG_LEVEL=")
	t.Cleanup(func() { killHolder(t, filepath.Join(state, "ticker.pid")) })

	for _, s := range steps {
		args := strings.Fields(s.command)
		var out string
		code := 0
		switch args[0] {
		case "ticker":
			cmd := exec.Command(ticker, args[1:]...)
			cmd.Env = env
			b, err := cmd.CombinedOutput()
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("%s: %v", s.command, err)
			}
			out = strings.ReplaceAll(string(b), tmp, "")
		case "tail":
			b, err := os.ReadFile(tmp + args[2])
			if err != nil {
				t.Fatalf("%s: %v", s.command, err)
			}
			// Ticks come once a second, and the reload's "reopened log" line whenever the
			// daemon gets to it, so which lines the log ends with is luck: the page's lines
			// less its ticks are in the log, in that order, the last of them last.
			want := withoutTicks(strings.SplitAfter(strings.TrimSuffix(s.output, "\n"), "\n"))
			lines := withoutTicks(strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n"))
			s.output = strings.Join(want, "")
			out = strings.Join(lines[max(0, len(lines)-len(want)):], "") // what it shows if not
			if inOrder(want, lines) {
				out = s.output
			}
		default:
			t.Fatalf("docs/embedding.md: the ticker's session runs %q, which this test cannot run", s.command)
		}
		if code != s.exit {
			t.Errorf("$ %s: exit %d, the page says %d\n%s", s.command, code, s.exit, out)
		}
		if got, want := sessionShape(out), sessionShape(s.output); got != want {
			t.Errorf("$ %s prints\n%s\nthe page shows\n%s", s.command, out, s.output)
		}
	}
}

// sessionStep is one command of a console block: what follows "$ ", what it prints, and
// the exit code a "# exit N" on one of its lines gives (0 without).
type sessionStep struct {
	command, output string
	exit            int
}

// docSession splits a console block into its commands, each without its comment.
func docSession(block string) []sessionStep {
	comment := regexp.MustCompile(`\s+# (.*)$`)
	var steps []sessionStep
	for line := range strings.Lines(block) {
		line = strings.TrimSuffix(line, "\n")
		exit := 0
		if c := comment.FindStringSubmatch(line); c != nil {
			if n, ok := strings.CutPrefix(c[1], "exit "); ok {
				exit, _ = strconv.Atoi(n)
			}
			line = line[:len(line)-len(c[0])]
		}
		if cmd, ok := strings.CutPrefix(line, "$ "); ok {
			steps = append(steps, sessionStep{command: cmd})
			line = ""
		} else {
			line += "\n"
		}
		s := &steps[len(steps)-1]
		s.output += line
		s.exit = max(s.exit, exit)
	}
	return steps
}

// inOrder reports whether the shapes (sessionShape) of want are those of lines, in their
// order but maybe with others between, the last of want being the last of lines.
func inOrder(want, lines []string) bool {
	if len(want) == 0 || len(lines) == 0 || sessionShape(want[len(want)-1]) != sessionShape(lines[len(lines)-1]) {
		return false
	}
	i := 0
	for _, l := range lines {
		if i < len(want) && sessionShape(l) == sessionShape(want[i]) {
			i++
		}
	}
	return i == len(want)
}

// withoutTicks is lines less the ticker's own, "tick N TIME".
func withoutTicks(lines []string) []string {
	var kept []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "tick ") {
			kept = append(kept, l)
		}
	}
	return kept
}

// sessionShape is what a session's output must keep: its text, with every duration made
// "D" and every other number "N", and a build's revision (a binary built in a checkout with
// VCS stamping has one, one built from this test's module copy has none) left out.
func sessionShape(s string) string {
	s = regexp.MustCompile(` \(revision [0-9a-f]+\)`).ReplaceAllString(s, "")
	s = regexp.MustCompile(`<?\d+(\.\d+)?(ns|µs|us|ms|s|m|h)\b`).ReplaceAllString(s, "D")
	return regexp.MustCompile(`\d+`).ReplaceAllString(s, "N")
}

// killHolder kills, by pid, the process that holds the pidfile at path, if one does: a
// daemon the session left running because the test failed half-way.
func killHolder(t *testing.T, path string) {
	st, err := pidfile.Probe(path)
	if err != nil || st.PID < 2 {
		return
	}
	pid := st.PID
	t.Logf("killing the ticker the session left running (pid %d)", pid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
}
