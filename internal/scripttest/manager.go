//go:build linux

package scripttest

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/testutil"
	"github.com/daemonkit/daemonkit/notify"
)

// manager is a stand-in service manager: the notifications it received, as systemd would
// receive them on $NOTIFY_SOCKET. Each script has its own.
type manager struct {
	mu  sync.Mutex
	got []string
}

type managerKey struct{}

// scriptManager is the script's stand-in service manager.
func scriptManager(ts *testscript.TestScript) *manager {
	return ts.Value(managerKey{}).(*manager)
}

// text writes a notification back as its assignments, one a line.
func text(m notify.Message) string {
	var lines []string
	add := func(ok bool, kv string) {
		if ok {
			lines = append(lines, kv)
		}
	}
	add(m.Ready, "READY=1")
	add(m.Reloading, "RELOADING=1")
	add(m.Stopping, "STOPPING=1")
	add(m.HasStatus, "STATUS="+m.Status)
	add(m.MainPID > 0, "MAINPID="+strconv.Itoa(m.MainPID))
	add(m.WatchdogPing, "WATCHDOG=1")
	add(m.Errno != 0, "ERRNO="+strconv.Itoa(int(m.Errno)))
	add(m.ExtendTimeout > 0, "EXTEND_TIMEOUT_USEC="+strconv.FormatInt(m.ExtendTimeout.Microseconds(), 10))
	for k, v := range m.Other {
		lines = append(lines, k+"="+v)
	}
	return strings.Join(lines, "\n")
}

// notifylisten VAR: listens as a service manager would, on a datagram socket whose path it
// puts in $VAR (give it to a program as NOTIFY_SOCKET); `notified` checks what came.
func cmdNotifylisten(ts *testscript.TestScript, neg bool, args []string) {
	m := scriptManager(ts)
	if neg || len(args) != 1 {
		ts.Fatalf("usage: notifylisten VAR")
	}
	sock, err := notify.Listen(ts.MkAbs("."))
	ts.Check(err)
	sock.Accept = func(int) bool { return true }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			msg, err := sock.Receive(ctx)
			if err != nil {
				return
			}
			m.mu.Lock()
			m.got = append(m.got, text(msg))
			m.mu.Unlock()
		}
	}()
	ts.Defer(func() {
		cancel()
		sock.Close()
		<-done
	})
	ts.Setenv(args[0], sock.Path())
}

// notified REGEXP: waits until a notification matches REGEXP ((?s): . matches newlines;
// its assignments are separated by newlines), in order: each match uses up the
// notifications up to it, so `notified RELOADING=1` then `notified READY=1` checks both
// came in that order.
func cmdNotified(ts *testscript.TestScript, neg bool, args []string) {
	m := scriptManager(ts)
	if neg || len(args) != 1 {
		ts.Fatalf("usage: notified REGEXP")
	}
	re, err := regexp.Compile("(?s)" + args[0])
	ts.Check(err)
	deadline := time.Now().Add(testutil.Deadline)
	for {
		m.mu.Lock()
		for i, msg := range m.got {
			if re.MatchString(msg) {
				m.got = m.got[i+1:]
				m.mu.Unlock()
				return
			}
		}
		seen := strings.Join(m.got, " | ")
		m.mu.Unlock()
		if time.Now().After(deadline) {
			ts.Fatalf("no notification matching %q; the ones not used yet: %s", args[0], seen)
		}
		time.Sleep(5 * time.Millisecond) // polling for a condition, with a deadline
	}
}

// nozombies PID: waits until no child of PID is a zombie (PID reaps its orphans).
func cmdNozombies(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: nozombies PID")
	}
	parent := atoiArg(ts, args[0])
	deadline := time.Now().Add(testutil.Deadline)
	for {
		zombies := zombieChildren(parent)
		if len(zombies) == 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("pid %d leaves zombies: %v", parent, zombies)
		}
		time.Sleep(5 * time.Millisecond) // polling for a condition, with a deadline
	}
}

// zombieChildren lists the children of parent that are zombies, from /proc.
func zombieChildren(parent int) []int {
	var out []int
	for _, pid := range procPIDs() {
		if st, err := proc.ReadStat(pid); err == nil && st.PPID == parent && st.Zombie() {
			out = append(out, pid)
		}
	}
	return out
}
