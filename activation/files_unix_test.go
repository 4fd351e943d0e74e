//go:build unix

package activation

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/daemonkit/daemonkit/internal/testutil"
)

func TestMain(m *testing.M) {
	testutil.Main(m, map[string]func() int{
		"files":  helperFiles,
		"listen": helperListen,
	})
}

// selfEnv asks a helper to set LISTEN_PID to its own pid first, as the supervisor's exec
// step does: only the child knows its pid.
const selfEnv = "ACTIVATION_TEST_LISTEN_PID_SELF"

// activationVars are the variables of the protocol, all removed by files.
var activationVars = []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}

// setSelf sets LISTEN_PID to this process's pid when the test asked for it.
func setSelf() {
	if os.Getenv(selfEnv) != "" {
		os.Setenv("LISTEN_PID", strconv.Itoa(os.Getpid()))
	}
}

// cloexec says whether fd is open ("open" or "closed") and close-on-exec.
func cloexec(fd int) string {
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	switch {
	case err != nil:
		return "closed"
	case flags&unix.FD_CLOEXEC != 0:
		return "cloexec"
	default:
		return "inherit"
	}
}

// helperFiles is a helper: it prints the state of descriptors 3 to 5 before files runs
// ("before FD STATE"), what files returns ("file FD NAME STATE"), and which protocol
// variables are left ("env NAME=VALUE").
func helperFiles() int {
	setSelf()
	for fd := 3; fd <= 5; fd++ {
		fmt.Printf("before %d %s\n", fd, cloexec(fd))
	}
	for _, f := range files() {
		fmt.Printf("file %d %s %s\n", f.Fd(), f.Name(), cloexec(int(f.Fd())))
	}
	for _, k := range activationVars {
		if v, ok := os.LookupEnv(k); ok {
			fmt.Printf("env %s=%s\n", k, v)
		}
	}
	return 0
}

// helperListen is a helper that uses the package as a program does: for each argument
// NAME it takes Named(NAME) and prints "named NAME ADDR..."; then it takes the first
// inherited socket with Listen and the others with Remaining, after which Listen falls
// back to binding one itself (on a network that does not exist, so it fails), printing
// "listen ADDR" for each inherited one, and "ready". It answers every connection to every
// inherited socket with that socket's address, until its stdin is closed.
func helperListen() int {
	setSelf()
	for _, name := range os.Args[1:] {
		var addrs []string
		for _, ln := range Named(name) {
			addrs = append(addrs, ln.Addr().String())
		}
		fmt.Printf("named %s %s\n", name, strings.Join(addrs, " "))
	}
	ln, err := Listen("none", "") // an unknown network: fails unless inherited
	var lns []net.Listener
	if err == nil {
		lns = append([]net.Listener{ln}, Remaining()...) // the others, in order
	}
	if _, err := Listen("none", ""); err == nil || len(Remaining()) > 0 {
		fmt.Println("an inherited socket left after Remaining")
	}
	for _, ln := range lns {
		fmt.Printf("listen %s\n", ln.Addr())
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				io.WriteString(c, ln.Addr().String()+"\n")
				c.Close()
			}
		}()
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// listeners makes n TCP listeners on the loopback and returns their files, to hand to a
// child as ExtraFiles, and their addresses. The parent's listeners are closed at once: the
// files keep the sockets.
func listeners(t *testing.T, n int) ([]*os.File, []string) {
	t.Helper()
	var fs []*os.File
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		ln.Close()
		t.Cleanup(func() { f.Close() })
		fs = append(fs, f)
	}
	return fs, addrs
}

// helper is testutil.Helper without any LISTEN_* of this process's own environment, and
// with env and the files extra given as descriptors 3 and up.
//
// The child runs with GODEBUG containermaxprocs=0. Without it, the Go runtime (1.25 and
// later) opens the cgroup CPU limit files before main and keeps them open, on the lowest
// free descriptors: right above the inherited ones, or in a hole among them, where the
// test wants a descriptor that is not open.
func helper(t *testing.T, name string, args []string, extra []*os.File, env ...string) *exec.Cmd {
	t.Helper()
	cmd := testutil.Helper(t, name, args)
	cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool {
		return strings.HasPrefix(kv, "LISTEN_") || strings.HasPrefix(kv, selfEnv+"=") ||
			strings.HasPrefix(kv, "GODEBUG=")
	})
	godebug := "containermaxprocs=0"
	if g := os.Getenv("GODEBUG"); g != "" {
		godebug = g + "," + godebug
	}
	cmd.Env = append(cmd.Env, "GODEBUG="+godebug)
	cmd.Env = append(cmd.Env, env...)
	cmd.ExtraFiles = extra
	cmd.Stderr = os.Stderr
	return cmd
}

// TestFiles runs files in a child given real sockets, and checks which descriptors it
// takes, their names (as go-systemd's activation.Files named them), that each is made
// close-on-exec, that a count or pid that is not this process's gives nothing, and that
// LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are gone afterwards in every case.
func TestFiles(t *testing.T) {
	self := selfEnv + "=1"
	other := "LISTEN_PID=" + strconv.Itoa(os.Getpid()) // the test's pid: never the child's
	for _, tc := range []struct {
		name  string
		files int      // sockets given as descriptors 3 and up
		hole  bool     // descriptor 4 is left closed
		env   []string // besides the helper's own
		want  []string // "FD NAME" of each file taken
	}{
		{"names", 3, false, []string{self, "LISTEN_FDS=3", "LISTEN_FDNAMES=web:admin:metrics"},
			[]string{"3 web", "4 admin", "5 metrics"}},
		{"empty name", 3, false, []string{self, "LISTEN_FDS=3", "LISTEN_FDNAMES=web::"},
			[]string{"3 web", "4 LISTEN_FD_4", "5 LISTEN_FD_5"}},
		{"fewer names", 2, false, []string{self, "LISTEN_FDS=2", "LISTEN_FDNAMES=web"},
			[]string{"3 web", "4 LISTEN_FD_4"}},
		{"no names", 2, false, []string{self, "LISTEN_FDS=2"},
			[]string{"3 LISTEN_FD_3", "4 LISTEN_FD_4"}},
		{"more names", 1, false, []string{self, "LISTEN_FDS=1", "LISTEN_FDNAMES=a:b:c"},
			[]string{"3 a"}},
		{"same name twice", 2, false, []string{self, "LISTEN_FDS=2", "LISTEN_FDNAMES=web:web"},
			[]string{"3 web", "4 web"}},
		{"count below given", 3, false, []string{self, "LISTEN_FDS=2", "LISTEN_FDNAMES=a:b:c"},
			[]string{"3 a", "4 b"}},
		{"closed in range", 3, true, []string{self, "LISTEN_FDS=3", "LISTEN_FDNAMES=a:b:c"},
			[]string{"3 a", "5 c"}},
		{"pid of another", 2, false, []string{other, "LISTEN_FDS=2", "LISTEN_FDNAMES=a:b"}, nil},
		{"pid 0", 2, false, []string{"LISTEN_PID=0", "LISTEN_FDS=2"}, nil},
		{"pid garbage", 2, false, []string{"LISTEN_PID=me", "LISTEN_FDS=2"}, nil},
		{"pid empty", 2, false, []string{"LISTEN_PID=", "LISTEN_FDS=2"}, nil},
		{"no pid", 2, false, []string{"LISTEN_FDS=2", "LISTEN_FDNAMES=a:b"}, nil},
		{"no count", 2, false, []string{self, "LISTEN_FDNAMES=a:b"}, nil},
		{"count empty", 2, false, []string{self, "LISTEN_FDS="}, nil},
		{"count garbage", 2, false, []string{self, "LISTEN_FDS=two"}, nil},
		{"count trailing garbage", 2, false, []string{self, "LISTEN_FDS=2x"}, nil},
		{"count space", 2, false, []string{self, "LISTEN_FDS= 2"}, nil},
		{"count zero", 2, false, []string{self, "LISTEN_FDS=0"}, nil},
		{"count negative", 2, false, []string{self, "LISTEN_FDS=-1"}, nil},
		{"count past int32", 2, false, []string{self, "LISTEN_FDS=2147483645"}, nil},
		{"count past int64", 2, false, []string{self, "LISTEN_FDS=99999999999999999999"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			extra, _ := listeners(t, tc.files)
			if tc.hole {
				extra[1] = nil // os/exec leaves descriptor 4 closed in the child
			}
			out, err := helper(t, "files", nil, extra, tc.env...).Output()
			if err != nil {
				t.Fatalf("helper: %v\n%s", err, out)
			}
			var got, env []string
			for line := range strings.Lines(string(out)) {
				f := strings.Fields(line)
				switch {
				case f[0] == "before" && len(f) == 3:
					fd, _ := strconv.Atoi(f[1])
					want := "inherit"
					if tc.hole && fd == 4 || fd >= 3+tc.files {
						want = "closed"
					}
					if f[2] != want {
						// Not ours to judge: the runtime or exec left it otherwise.
						t.Skipf("descriptor %s is %s in the child before files runs, want %s", f[1], f[2], want)
					}
				case f[0] == "file" && len(f) == 4:
					got = append(got, f[1]+" "+f[2])
					if f[3] != "cloexec" {
						t.Errorf("descriptor %s: %s, want close-on-exec", f[1], f[3])
					}
				case f[0] == "env":
					env = append(env, strings.TrimSpace(line))
				default:
					t.Errorf("helper: unexpected line %q", line)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("files: %q, want %q", got, tc.want)
			}
			if len(env) > 0 {
				t.Errorf("left in the environment: %q", env)
			}
		})
	}
}

// TestListenInherited runs a program that uses Named and Listen in a child given three
// sockets and a hole (descriptor 5, counted by LISTEN_FDS but not open): it checks that
// each name finds its socket, that Listen hands out every inherited socket once, in order,
// before binding its own, and that each socket taken really serves: a connection to it is
// answered by the child (the test's own copies are closed once the child runs). The hole
// is skipped, not adopted: adopted, it would name the duplicate net.FileListener makes of
// descriptor 3, so that socket would be handed out twice and its first listener's
// descriptor closed.
func TestListenInherited(t *testing.T) {
	extra, addrs := listeners(t, 4)
	extra[2] = nil // descriptor 5: counted by LISTEN_FDS, but not open
	cmd := helper(t, "listen", []string{"web", "admin", "LISTEN_FD_6", "none"}, extra,
		selfEnv+"=1", "LISTEN_FDS=4", "LISTEN_FDNAMES=web:admin::")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	for _, f := range extra {
		if f != nil {
			f.Close()
		}
	}

	var lines []string
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("helper: %v after %q", err, lines)
		}
		if line == "ready\n" {
			break
		}
		lines = append(lines, strings.TrimSpace(line))
	}
	want := []string{
		"named web " + addrs[0],
		"named admin " + addrs[1],
		"named LISTEN_FD_6 " + addrs[3],
		"named none",
		"listen " + addrs[0],
		"listen " + addrs[1],
		"listen " + addrs[3],
	}
	if !slices.Equal(lines, want) {
		t.Fatalf("helper said\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, addr := range []string{addrs[0], addrs[1], addrs[3]} {
		c, err := net.DialTimeout("tcp", addr, testutil.Deadline)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(testutil.Deadline))
		got, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if got != addr+"\n" {
			t.Errorf("%s answered %q, %v; want its own address", addr, got, err)
		}
	}
}
