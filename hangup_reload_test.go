//go:build linux

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// TestReloadJustAfterTheHangup: a start put in the background and left at a terminal whose
// window is then closed, reloaded at once from elsewhere (a deploy, a logrotate that runs
// just then): the reload's SIGHUP comes within hangupWindow of the hangup, as the hangup's
// own would, but reload said it asked for a reload, and marked it so. It reloads, and runs
// on, and so does its program; the mark is gone once taken.
func TestReloadJustAfterTheHangup(t *testing.T) {
	for _, tc := range []struct{ name, args string }{
		{"builtin", ""},
		{"program", " -- catchsig CAUGHT HUP TERM"},
	} {
		t.Run(tc.name, func(t *testing.T) { reloadJustAfterTheHangup(t, tc.args) })
	}
}

func reloadJustAfterTheHangup(t *testing.T, args string) {
	s := newSession(t)
	log := filepath.Join(s.state, "bg.log")
	caught := filepath.Join(s.state, "caught")
	s.typeLine("daemonkit start --name bg --log " + log + strings.ReplaceAll(args, "CAUGHT", caught) + " &")
	pid, rec := s.running("bg")
	if args != "" {
		testutil.WaitFor(t, "the program to catch its signals", func() bool {
			b, _ := os.ReadFile(caught)
			return strings.HasPrefix(string(b), "ready\n")
		})
	}
	left := filepath.Join(s.state, "left")
	s.typeLine("disown && : >" + left)
	testutil.WaitFor(t, "the shell to disown the start", func() bool {
		_, err := os.Stat(left)
		return err == nil
	})
	s.typeLine("exit")
	select {
	case <-s.exited:
	case <-time.After(testutil.Deadline):
		t.Fatal("the shell did not exit")
	}
	s.closeWindow()
	if out, err := s.daemonkit("reload", "--name", "bg"); err != nil {
		t.Fatalf("reload: %v\n%s", err, out)
	}
	testutil.WaitFor(t, "bg to say whether it runs on", func() bool {
		b, _ := os.ReadFile(log)
		return strings.Contains(string(b), "running on") || strings.Contains(string(b), "stopping")
	})
	b, _ := os.ReadFile(log)
	if !strings.Contains(string(b), "reopened log") || strings.Contains(string(b), "stopping") || !scripttest.Alive(pid) {
		t.Fatalf("a reload just after the hangup: alive %v, want a reload and running on; its log:\n%s", scripttest.Alive(pid), b)
	}
	if rec.ChildPID > 0 && !scripttest.Alive(rec.ChildPID) {
		t.Errorf("its program (pid %d) is gone", rec.ChildPID)
	}
	if _, err := os.Stat(filepath.Join(s.state, ".bg.json.reload")); !os.IsNotExist(err) {
		t.Errorf("the reload's mark is left behind: %v", err)
	}
}
