package cli

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/daemonkit/daemonkit/internal/proc"
	"github.com/daemonkit/daemonkit/internal/scripttest"
	"github.com/daemonkit/daemonkit/internal/testutil"
)

// runGroupLeader kills the leader's group only while the leader is not reaped, when it
// ends by itself and when ctx ends first: its pid, a zombie's or a live one's, is then
// still the group's number, not one the kernel may have given a stranger since. What it
// left in its group is killed all the same.
func TestRunGroupLeaderKillsBeforeTheReap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		cancel bool // ctx ends once the leftover's pid is written
	}{
		{"ends by itself", `sleep 1000 & echo $! > "$LEFT"; exit 3`, false},
		{"ctx ends first", `sleep 1000 & echo $! > "$LEFT.tmp"; mv "$LEFT.tmp" "$LEFT"; exec sleep 1000`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			left := t.TempDir() + "/left"
			var kills []string // for each kill: whether the leader was still unreaped
			old := killGroupOf
			killGroupOf = func(pgid int) {
				if _, err := os.Lstat("/proc/" + strconv.Itoa(pgid)); err == nil {
					kills = append(kills, "unreaped")
				} else {
					kills = append(kills, "reaped")
				}
				old(pgid)
			}
			defer func() { killGroupOf = old }()
			cmd := exec.Command("/bin/sh", "-c", tc.script)
			cmd.Env = append(os.Environ(), "LEFT="+left)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				go func() {
					for ctx.Err() == nil {
						if _, err := os.Stat(left); err == nil {
							cancel()
						}
						time.Sleep(10 * time.Millisecond) // a poll's interval, not a wait for luck
					}
				}()
			}
			err := runGroupLeader(ctx, cmd)
			if cmd.Process != nil {
				defer scripttest.KillAndWait(t.Log, cmd.Process.Pid)
			}
			if err == nil {
				t.Fatal("runGroupLeader: nil error, want the shell's exit or its kill")
			}
			for i, k := range kills {
				if k != "unreaped" {
					t.Errorf("kill %d of the group made once its leader was %s: %v", i+1, k, kills)
				}
			}
			if len(kills) == 0 {
				t.Error("the group was never killed")
			}
			b, err := os.ReadFile(left)
			if err != nil {
				t.Fatal(err)
			}
			pid, _ := strconv.Atoi(string(b[:len(b)-1]))
			defer scripttest.KillAndWait(t.Log, pid)
			testutil.WaitFor(t, "what the leader left in its group gone", func() bool {
				st, err := proc.ReadStat(pid)
				return err != nil || st.Zombie()
			})
		})
	}
}
