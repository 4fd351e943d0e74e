//go:build linux

package reliability_test

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNoDuplicateDaemon starts one name twice, 30 times back to back (the second start
// right after the first returned) and 30 times as concurrent pairs, taking the strategies
// in turn. Each time exactly one start succeeds (exit 0) and the other says already
// running (exit 3); once both have returned exactly one daemon of the name is alive, and
// it is the one that holds the pidfile lock; the loser never wrote a line to the log. At
// the end the log holds exactly one "started" per successful start, each from another pid.
func TestNoDuplicateDaemon(t *testing.T) {
	for _, mode := range []string{"back_to_back", "concurrent"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t)
			const name = "dup"
			n := loops(30)
			for i := range n {
				args := []string{"--log-format", "json", "start", "-d", "--strategy", strategies[i%len(strategies)], "--name", name}
				if i%2 == 1 {
					args = append(args, "--", "sleep", "1000") // the supervisor, every other time
				}
				var a, b result
				if mode == "back_to_back" {
					a = e.run(name, args...)
					b = e.run(name, args...)
				} else {
					a, b = e.concurrently(name, args)
				}
				codes := []int{a.code, b.code}
				slices.Sort(codes)
				if !slices.Equal(codes, []int{0, 3}) {
					t.Fatalf("round %d: want one start to exit 0 and the other 3 (already running):\n%s\n%s", i, a, b)
				}
				loser := a
				if a.code != 3 {
					loser = b
				}
				if !strings.Contains(loser.err, "already running") {
					t.Errorf("round %d: the losing start does not say already running:\n%s", i, loser)
				}
				e.exactlyOneDaemon(name, i)
				e.must(0, name, "stop", "--name", name)
				e.noneLeft(name, "after stop")
			}
			starts := e.startedLines(name)
			if len(starts) != n {
				t.Fatalf("the log says started %d times (pids %v); want %d, one per successful start", len(starts), starts, n)
			}
			slices.Sort(starts)
			if len(slices.Compact(starts)) != n {
				t.Fatalf("the log's started lines repeat a pid: %v", starts)
			}
		})
	}
}

// concurrently runs daemonkit args twice at once and returns both results.
func (e *env) concurrently(name string, args []string) (result, result) {
	e.t.Helper()
	var rs [2]result
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for k := range rs {
		cmd, out, errb := e.cmd(name, args...)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			began := time.Now()
			if err := cmd.Start(); err != nil {
				rs[k] = result{args: args, code: -1, err: err.Error()}
				return
			}
			rs[k] = e.wait(cmd, out, errb, args, began)
		}()
	}
	close(gate)
	wg.Wait()
	return rs[0], rs[1]
}

// exactlyOneDaemon fails the test unless exactly one daemon of the instance is alive and
// it holds the pidfile lock.
func (e *env) exactlyOneDaemon(name string, round int) {
	e.t.Helper()
	var daemons []proc
	for _, p := range e.instance(name) {
		if p.daemon() {
			daemons = append(daemons, p)
		}
	}
	if len(daemons) != 1 {
		e.t.Fatalf("round %d: %d daemons of %s alive once both starts returned: %+v", round, len(daemons), name, daemons)
	}
	if h := e.holder(name); h != daemons[0].pid {
		e.t.Fatalf("round %d: the daemon is pid %d, but the pidfile's lock holder is %d", round, daemons[0].pid, h)
	}
}

// startedLines returns the pid of every "started" line in the instance's JSON log.
func (e *env) startedLines(name string) []int {
	e.t.Helper()
	f, err := os.Open(e.logfile(name))
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	var pids []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Message string `json:"@message"`
			PID     int    `json:"pid"`
		}
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Message == "started" {
			pids = append(pids, line.PID)
		}
	}
	return pids
}
