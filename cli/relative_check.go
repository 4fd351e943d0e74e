package cli

import (
	"cmp"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/daemonkit/daemonkit/supervisor"
)

// absChecks makes a relative path that starts the command of --ready cmd: or of
// --reload-check absolute, in place, as absProgram makes the program's: against --workdir
// when it is given, else against the directory start is typed in. Each runs as `sh -c
// COMMAND` in the work's directory (/ by default with -d), where ./check names nothing, or
// something else: every probe then exited 127 (not found) until the ready timeout. The
// record (and a unit's ExecStart) keeps the absolute one, so that restart and reload run
// the same check from anywhere. A path that names no executable file yet is warned of
// (warn), not refused: the program or a deploy step may make it before the first probe.
// Only a first word of plain characters is read: one with quotes, $ or other shell syntax
// is left as it is, and so is a bare name, which the shell looks up in PATH. A command sh
// cannot read is refused: no probe of it can ever run.
func (c *StartOptions) absChecks(warn func(string)) error {
	if r, err := supervisor.ParseReadiness(c.Ready); err == nil && r.Kind == "cmd" {
		command, err := absCheck("--ready "+c.Ready, "probe", r.Target, c.Workdir, warn)
		if err != nil {
			return err
		}
		c.Ready = "cmd:" + command
	}
	var err error
	c.ReloadCheck, err = absCheck("--reload-check "+c.ReloadCheck, "reload", c.ReloadCheck, c.Workdir, warn)
	return err
}

// absCheck is command with its first word made absolute against dir (or the current
// directory) when it is a relative path; flag names it in an error, and in what warn is
// told of a path that names no executable file (yet), with what fails meanwhile (each
// "probe" of --ready, each "reload" of --reload-check).
func absCheck(flag, run, command, dir string, warn func(string)) (string, error) {
	if err := shellReads(flag, command); err != nil {
		return "", err
	}
	lead := strings.TrimLeft(command, " \t")
	end := strings.IndexAny(lead, " \t\n")
	if end < 0 {
		end = len(lead)
	}
	word, rest := lead[:end], lead[end:]
	if !strings.Contains(word, "/") || filepath.IsAbs(word) || !plainWord(word) {
		return command, nil
	}
	base, err := filepath.Abs(cmp.Or(dir, "."))
	if err != nil {
		return "", fmt.Errorf("%s: %s is a relative path, and the working directory is unknown: give an absolute one", flag, word)
	}
	abs := filepath.Join(base, word)
	if err := executable(abs); err != nil {
		from := "the directory start is typed in"
		if dir != "" {
			from = "--workdir"
		}
		warn(fmt.Sprintf("%s: %v: it runs %s, a relative path in a check being taken from %s, as the program's is (the check runs in the work's directory, / by default with -d); each %s fails until an executable file is there",
			flag, err, abs, from, run))
	}
	return shellWord(abs) + rest, nil
}

// shellReads refuses a command that sh cannot read (an unterminated quote, an if without
// its fi): every check would exit 2 with the same syntax error, until the ready timeout.
// sh -n reads it without running anything. No /bin/sh here: nothing to say.
func shellReads(flag, command string) error {
	if command == "" {
		return nil
	}
	out, err := exec.Command("/bin/sh", "-n", "-c", command).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return nil
	}
	said := strings.TrimSpace(string(out))
	if _, rest, ok := strings.Cut(said, "sh: 1: "); ok { // dash's "/bin/sh: 1: Syntax error: ..."
		said = rest
	}
	return fmt.Errorf("%s: the shell (sh -c) cannot read it: %s; fix it (quotes, if ... fi)", flag, cmp.Or(said, exit.String()))
}

// plainWord says whether w holds nothing sh would read as more than its characters.
func plainWord(w string) bool {
	return w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+,./-") == ""
}

// shellWord quotes s for sh -c, in single quotes if it needs any: every byte but NUL,
// which no path holds, stands for itself there.
func shellWord(s string) string {
	if plainWord(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// withValue is args, start's arguments for a unit's ExecStart, with the value of each
// flag (--ready, given as --ready X or --ready=X before any --) replaced by value: what
// the command made of it (absChecks' absolute path, which systemd, running ExecStart in
// /, needs as start does).
func withValue(args []string, flag, value string) []string {
	for i := 0; i < len(args) && args[i] != "--"; i++ {
		switch {
		case args[i] == flag && i+1 < len(args):
			i++
			args[i] = value
		case strings.HasPrefix(args[i], flag+"="):
			args[i] = flag + "=" + value
		}
	}
	return args
}
