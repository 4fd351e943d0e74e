//go:build linux

package reliability_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestListWhileOthersStartAndStop starts and stops six names over and over, in parallel,
// taking the strategies in turn (the supervisor every other time), as a deploy driving
// many instances at once does, while list --json and status --json run in a loop. Every
// list and status exits as its state says (0, or 3 for status of an instance not
// running), prints nothing on stderr, and prints a JSON document that parses; no instance
// of those names is ever shown failed, stale or unknown, with a problem, or with a
// process its last run left running: each is running, starting, stopping or stopped at
// any moment. At the end nothing of them is left.
func TestListWhileOthersStartAndStop(t *testing.T) {
	e := newEnv(t)
	names := []string{"a", "b", "c", "d", "e", "f"}
	rounds := loops(8)
	var churn sync.WaitGroup
	errs := make(chan string, 64)
	report := func(format string, args ...any) {
		select {
		case errs <- fmt.Sprintf(format, args...):
		default: // enough to tell
		}
	}
	done := make(chan struct{})
	for k, name := range names {
		churn.Add(1)
		go func() {
			defer churn.Done()
			for i := range rounds {
				args := []string{"start", "-d", "--strategy", strategies[(i+k)%len(strategies)], "--name", name}
				if (i+k)%2 == 1 {
					args = append(args, "--", "sleep", "1000")
				}
				if r := e.runQuiet(name, args...); r.code != 0 {
					report("round %d: %s", i, r)
				}
				if r := e.runQuiet(name, "stop", "--name", name); r.code != 0 {
					report("round %d: %s", i, r)
				}
			}
		}()
	}
	var look sync.WaitGroup
	look.Add(1)
	lists := 0
	go func() {
		defer look.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			lists++
			checkList(e.runQuiet("list", "list", "--json"), names, report)
			checkStatus(e.runQuiet("status", "status", "--json", "--name", names[i%len(names)]), report)
		}
	}()
	churn.Wait()
	close(done)
	look.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	t.Logf("%d lists and as many statuses while %d names started and stopped %d times each", lists, len(names), rounds)
	for _, name := range names {
		e.noneLeft(name, "after the last stop")
	}
}

// shown is what list --json and status --json say of an instance, that this test checks.
type shown struct {
	Name        string `json:"name"`
	State       string `json:"state"`
	Failed      bool   `json:"failed"`
	Problem     string `json:"problem"`
	LastExit    string `json:"last_exit"`
	LeftRunning []int  `json:"left_running"`
}

// wrong says what is wrong with s, an instance whose every run is stopped by a stop: it
// must never read as failed, stale or unknown, nor have a problem or left anything.
func (s shown) wrong(allowed ...string) string {
	switch {
	case !slices.Contains(allowed, s.State), s.Failed, s.Problem != "", len(s.LeftRunning) > 0:
		return fmt.Sprintf("%s shown %s (failed %v, last exit %q, problem %q, left running %v)", s.Name, s.State, s.Failed, s.LastExit, s.Problem, s.LeftRunning)
	}
	return ""
}

// checkList reports what is wrong with r, a list --json, of the instances names.
func checkList(r result, names []string, report func(string, ...any)) {
	if r.code != 0 || r.err != "" {
		report("%s", r)
		return
	}
	var rows []shown
	if err := json.Unmarshal([]byte(r.out), &rows); err != nil {
		report("list --json is no JSON array (%v): %s", err, r.out)
		return
	}
	for _, row := range rows {
		if w := row.wrong("running", "starting", "stopping", "stopped"); w != "" && slices.Contains(names, row.Name) {
			report("list: %s", w)
		}
	}
}

// checkStatus reports what is wrong with r, a status --json of one of the instances.
func checkStatus(r result, report func(string, ...any)) {
	if (r.code != 0 && r.code != 3) || strings.TrimSpace(r.err) != "" {
		report("%s", r)
		return
	}
	var s shown
	if err := json.Unmarshal([]byte(r.out), &s); err != nil {
		report("status --json is no JSON object (%v): %s", err, r.out)
		return
	}
	if w := s.wrong("running", "starting", "stopping", "not running"); w != "" {
		report("status: %s", w)
	}
}
