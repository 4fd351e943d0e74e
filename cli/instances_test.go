package cli

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestShellJoin(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"redis-server", "--port", "7000"}, "redis-server --port 7000"},
		{[]string{"python3", "-m", "http.server", "8000"}, "python3 -m http.server 8000"},
		{[]string{"sh", "-c", "trap '' TERM; sleep 1000"}, `sh -c 'trap '\'''\'' TERM; sleep 1000'`},
		{[]string{"echo", ""}, "echo ''"},
		{[]string{"printf", "a\nb\x1b[31mRED\tx"}, `printf $'a\nb\x1b[31mRED\tx'`},
		{[]string{"echo", "it's\n\\"}, `echo $'it\'s\n\\'`},
		{[]string{"echo", "caf\xc3\xa9 \xff \u009b"}, `echo $'café \xff \u009b'`},
		{[]string{"echo", "café"}, `echo 'café'`},
	} {
		if got := shellJoin(tc.args); got != tc.want {
			t.Errorf("shellJoin(%q) = %s, want %s", tc.args, got, tc.want)
		}
	}
}

// TestAdviceJoin checks that sh, dash and bash (those installed) read adviceJoin's command
// line back as the arguments it was given, and that only an argument double quotes keep as
// it is goes in them.
func TestAdviceJoin(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"daemonkit", "stop", "--name", "web"}, "daemonkit stop --name web"},
		{[]string{"daemonkit", "--state-dir", "/srv/it's here", "stop"}, `daemonkit --state-dir "/srv/it's here" stop`},
		{[]string{"echo", "a$b", "x!", `q"`, "a\\b", "`id`"}, `echo 'a$b' 'x!' 'q"' 'a\b' '` + "`id`'"},
		{[]string{"echo", ""}, `echo ""`},
		// what dash cannot read in $'...': a newline, a tab, an escape, bytes not UTF-8
		{[]string{"daemonkit", "--state-dir", "/tmp/new\nline", "stop"}, `daemonkit --state-dir "$(printf '/tmp/new\012line')" stop`},
		{[]string{"echo", "t\tab\x1b[31m", "\xff\xfe", "50%'s \\ \u0085"}, `echo "$(printf 't\011ab\033[31m')" "$(printf '\377\376')" "$(printf '50%%'\''s \\ \302\205')"`},
		// newlines at the end, which a command substitution strips, follow it as they are
		{[]string{"echo", "-a\tb"}, `echo "$(printf '\055a\011b')"`}, // printf would take -a for an option
		{[]string{"daemonkit", "--state-dir", "/tmp/x\n", "stop"}, "daemonkit --state-dir /tmp/x\"\n\" stop"},
		{[]string{"echo", "a\tb c\n\n", "\n", "it's\n"}, "echo \"$(printf 'a\\011b c')\"\"\n\n\" \"\n\" \"it's\"\"\n\""},
	} {
		got := adviceJoin(tc.args)
		if got != tc.want {
			t.Errorf("adviceJoin(%q) = %s, want %s", tc.args, got, tc.want)
		}
		for _, shell := range []string{"sh", "dash", "bash"} {
			if _, err := exec.LookPath(shell); err != nil {
				continue
			}
			out, err := exec.Command(shell, "-c", `printf '%s\0' `+got).Output()
			if back := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00"); err != nil || !slices.Equal(back, tc.args) {
				t.Errorf("%s reads %s back as %q (%v), want %q", shell, got, back, err, tc.args)
			}
		}
	}
}

// TestRoughDuration: list's UPTIME. Under a second it is "<1s", as status says it (upFor),
// never "0s", which reads as a count that is stuck.
func TestRoughDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                   "<1s",
		0:                              "<1s",
		400 * time.Millisecond:         "<1s",
		1500 * time.Millisecond:        "1s",
		5*time.Minute + 12*time.Second: "5m12s",
		3*time.Hour + 4*time.Minute:    "3h4m",
		53 * time.Hour:                 "2d5h",
	} {
		if got := roughDuration(d); got != want {
			t.Errorf("roughDuration(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestNameList(t *testing.T) {
	var names []string
	for i := range 12 {
		names = append(names, fmt.Sprintf("n%d", i))
	}
	if got := nameList(names[:3], 10); got != "n0, n1, n2" {
		t.Errorf("nameList(3) = %s", got)
	}
	if got := nameList(names, 10); got != "n0, n1, n2, n3, n4, n5, n6, n7, n8, n9 and 2 more" {
		t.Errorf("nameList(12) = %s", got)
	}
}

// TestPickAdvice checks the advice for several instances: the name as the argument where
// the command takes it, --name for upgrade and for a name that would read as a flag, and
// --all where it only asks; laid out as a unit's command lines are, which a program
// embedding daemonkit takes: its own arguments where it was given them (before the
// command word, and its root flags after it), daemonkit's --state-dir after the command
// word (a program parsing its own flags with the flag package stops at a flag it does not
// know).
func TestPickAdvice(t *testing.T) {
	app := &App{Config: Config{Name: "myprog"}.withDefaults(), Globals: &Globals{StateDir: "/srv/my state"}}
	own := *app
	own.own, own.ownAfter = []string{"-greeting", "hi there", "--token", "s3"}, []string{"--listen", "x:1", "--port", "8"}
	own.common, own.commonAfter = []string{"-greeting", "hi there"}, []string{"--listen", "x:1"} // less Config.Flags
	for _, tc := range []struct {
		app                 *App
		command, name, want string
		others              bool
	}{
		{app, "status", "web", `give the instance's name, as in 'myprog status --state-dir "/srv/my state" web'`, false},
		{app, "stop", "-x", `give the instance's name, as in 'myprog stop --state-dir "/srv/my state" --name=-x'`, false},
		{app, "upgrade", "web", `give the instance's name, as in 'myprog upgrade --state-dir "/srv/my state" --name web'`, false},
		{app, "reopen", "web", `give the instance's name, as in 'myprog reopen --state-dir "/srv/my state" web', or --all for every one ('myprog reopen --state-dir "/srv/my state" --all')`, false},
		{&own, "status", "web", `give the instance's name, as in 'myprog -greeting "hi there" status --state-dir "/srv/my state" --listen x:1 web'`, false},
		{&own, "reload", "web", `give the instance's name, as in 'myprog -greeting "hi there" reload --state-dir "/srv/my state" --listen x:1 web', or --all for every one ('myprog -greeting "hi there" reload --state-dir "/srv/my state" --listen x:1 --all')`, false},
		// --all would ask other programs' instances too, which the list left out
		{&own, "reload", "web", `give the instance's name, as in 'myprog -greeting "hi there" reload --state-dir "/srv/my state" --listen x:1 web'`, true},
	} {
		if got := pickAdvice(tc.app, tc.command, tc.name, tc.others); got != tc.want {
			t.Errorf("pickAdvice(%s, %s) =\n%s\nwant\n%s", tc.command, tc.name, got, tc.want)
		}
	}
}
