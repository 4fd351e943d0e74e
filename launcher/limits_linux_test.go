package launcher_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/launcher"
	"github.com/daemonkit/daemonkit/strategy"
)

// lowNofileEnv makes TestLaunchLowNofile's test binary the child that launches under the
// low limit.
const lowNofileEnv = "LAUNCHER_TEST_LOW_NOFILE"

// TestLaunchLowNofile: a launch that runs out of descriptors (ulimit -n) says which limit
// refused it, with its value, and how to raise it, not only "too many open files". It runs
// in a child (this test binary again), whose limit leaves room for the two descriptors of
// the daemon's stdin and stdout, and none for the handshake pipe.
func TestLaunchLowNofile(t *testing.T) {
	if os.Getenv(lowNofileEnv) == "1" {
		launchUnderLowNofile()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLaunchLowNofile$")
	cmd.Env = append(os.Environ(), lowNofileEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child: %v\n%s", err, out)
	}
	limit, _, _ := strings.Cut(strings.TrimPrefix(string(out), "limit "), "\n")
	want := "start low: create handshake pipe: pipe2: too many open files: the process has as many files open as its limit allows (ulimit -n, RLIMIT_NOFILE: " + limit + "): raise ulimit -n in the shell that starts daemonkit (LimitNOFILE= in a unit), or, for the program, --limit-nofile\n"
	if _, err := strconv.Atoi(limit); err != nil || !strings.Contains(string(out), "\n"+want) {
		t.Errorf("the child said:\n%s\nwant the limit, then:\n%s", out, want)
	}
}

// launchUnderLowNofile sets this process's open-files limit to leave two descriptors free,
// launches, and prints "limit N" and the error.
func launchUnderLowNofile() {
	r, w, err := os.Pipe() // the runtime's poller makes its own descriptors now, not under the limit
	if err != nil {
		panic(err)
	}
	r.Close()
	w.Close()
	names, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		panic(err)
	}
	open := map[int]bool{}
	for _, n := range names {
		fd, _ := strconv.Atoi(n.Name())
		open[fd] = true
	}
	limit := 0
	for free := 0; free < 2; limit++ {
		if !open[limit] {
			free++
		}
	}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		panic(err)
	}
	rl.Cur = uint64(limit)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		panic(err)
	}
	d, err := strategy.Lookup("setsid")
	if err != nil {
		panic(err)
	}
	_, err = launcher.Launch(context.Background(), d.New(), strategy.Spec{Name: "low", Args: []string{"never-run"}}, nil)
	fmt.Printf("limit %d\n%v\n", limit, err)
}
