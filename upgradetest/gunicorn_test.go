//go:build linux

package upgradetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wsgiApp is the WSGI app gunicorn serves in TestGunicornUpgradeUnderLoad. It answers as
// the test server does, naming the copy by the gunicorn master's pid (its workers' parent,
// the process daemonkit started): GET or POST / at once, GET /slow with its first line at
// once and its last once the worker is told to stop (SIGTERM, from its master's graceful
// stop), or after 20s.
const wsgiApp = `import os, signal, time

draining = False
_hooked = None


def _hook():
    # gunicorn sets its worker's signal handlers after the app is imported (--preload
    # imports it in the master): chain SIGTERM's once, in the worker, at its first request.
    global _hooked
    if _hooked == os.getpid():
        return
    _hooked = os.getpid()
    prev = signal.getsignal(signal.SIGTERM)

    def on_term(sig, frame):
        global draining
        draining = True
        if callable(prev):
            prev(sig, frame)

    signal.signal(signal.SIGTERM, on_term)


def app(environ, start_response):
    _hook()
    copy = os.getppid()
    label = os.environ.get("UPGRADETEST_LABEL", "")
    headers = [("Content-Type", "text/plain"), ("X-Pid", str(copy)), ("X-Label", label)]
    if environ["PATH_INFO"] == "/slow":
        start_response("200 OK", headers)

        def body():
            yield ("pid=%d label=%s started\n" % (copy, label)).encode()
            end = time.monotonic() + 20
            while not draining and time.monotonic() < end:
                time.sleep(0.01)
            yield ("pid=%d label=%s drained=%s\n" % (copy, label, "true" if draining else "false")).encode()

        return body()
    n = int(environ.get("CONTENT_LENGTH") or 0)
    if n:
        environ["wsgi.input"].read(n)
    body = ("pid=%d label=%s\n" % (copy, label)).encode()
    start_response("200 OK", headers + [("Content-Length", str(len(body)))])
    return [body]
`

// TestGunicornUpgradeUnderLoad upgrades gunicorn, Debian's package, which takes its
// sockets by LISTEN_FDS (when LISTEN_PID is its own pid) and says READY=1, under a lighter
// load, once to a copy whose app cannot be imported (with --preload that fails before
// READY=1): no request fails, each slow request is finished by the copy that took it, and
// the failed upgrade leaves the old copy serving.
func TestGunicornUpgradeUnderLoad(t *testing.T) {
	gunicorn, err := exec.LookPath("gunicorn")
	if err != nil {
		t.Skip("gunicorn is not installed (Debian: apt-get install -y --no-install-recommends gunicorn): " + err.Error())
	}
	version, err := exec.Command(gunicorn, "--version").CombinedOutput()
	if err != nil {
		t.Skipf("gunicorn --version: %v: %s", err, version)
	}
	t.Logf("%s: %s", gunicorn, strings.TrimSpace(string(version)))
	app := t.TempDir()
	if err := os.WriteFile(filepath.Join(app, "app.py"), []byte(wsgiApp), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(label, module string) []string {
		// Four sync workers: a slow request holds one. --preload imports the app in the
		// master, before READY=1, so a broken app fails the upgrade instead of the workers.
		return []string{"--", gunicorn, "--chdir", app, "--workers", "4", "--preload",
			"--graceful-timeout", "30", "-e", "UPGRADETEST_LABEL=" + label, module}
	}
	d := newDaemon(t, "gunicorn")
	d.mustRun(append([]string{"start", "-d", "--name", "gunicorn", "--socket", "tcp:127.0.0.1:0", "--ready", "notify",
		"--ready-timeout", "60s", "--drain-timeout", "60s"}, run("gu1", "app:app")...)...)
	addr := d.addr()
	sup := d.supervisor()
	serving := d.serving()
	good := map[int]bool{serving: true}

	l := startLoad(t, loadConfig{addr: addr, newConn: 2, keepAliveGet: 1, keepAlivePost: 1,
		interval: 10 * time.Millisecond, maxPerClient: 20000, maxDuration: 4 * time.Minute})
	l.waitProgress(t, 100)
	var pending []*slowRequest
	steps := []struct {
		args  []string
		fails string
	}{
		{args: run("gu2", "app:app")},
		{args: run("broken", "no_such_module:app"), fails: "No module named 'no_such_module'"},
		{args: run("gu3", "app:app")},
		{args: nil}, // restart --graceful: the command it runs now
	}
	for i, step := range steps {
		slow := sendSlow(t, addr, 1)
		if slow[0].pid != serving {
			t.Fatalf("step %d: the slow request was taken by pid %d, not the serving copy %d", i, slow[0].pid, serving)
		}
		l.waitProgress(t, 50)
		var code int
		var stdout, stderr string
		if step.args == nil {
			code, stdout, stderr = d.run("restart", "--graceful", "--name", "gunicorn")
		} else {
			code, stdout, stderr = d.run(append([]string{"upgrade", "--name", "gunicorn"}, step.args...)...)
		}
		if got := d.supervisor(); got != sup {
			t.Fatalf("step %d: the supervisor is pid %d, not %d", i, got, sup)
		}
		if step.fails != "" {
			if code != 1 || !strings.Contains(stderr, step.fails) ||
				!strings.Contains(stderr, "the old copy (pid "+strconv.Itoa(serving)+") serves on") {
				t.Fatalf("step %d: want exit 1 quoting %q, the old copy serving on; got exit %d:\n%s", i, step.fails, code, stderr)
			}
			if !alive(serving) || d.serving() != serving {
				t.Fatalf("step %d: the old copy %d does not serve on", i, serving)
			}
			checkServes(t, addr, serving)
			pending = append(pending, slow...)
			continue
		}
		m := regexp.MustCompile(`generation \d+ \(pid (\d+)\) serves`).FindStringSubmatch(stdout)
		if code != 0 || m == nil {
			t.Fatalf("step %d: upgrade exited %d:\n%s%s", i, code, stdout, stderr)
		}
		newPID, _ := strconv.Atoi(m[1])
		d.track(newPID)
		checkServes(t, addr, newPID)
		for _, sr := range append(pending, slow...) {
			res := sr.wait(t)
			if res.err != nil || res.pid != sr.pid || !res.drained {
				t.Fatalf("step %d: a slow request taken by pid %d: finished by pid %d, drained %t, error %v", i, sr.pid, res.pid, res.drained, res.err)
			}
		}
		pending = nil
		serving = newPID
		good[serving] = true
	}
	l.stop()
	sent, _, failed, retried := l.totals()
	t.Logf("gunicorn under load over %d upgrades:\n%s", len(steps), l.report())
	if failed > 0 || retried > 0 {
		t.Errorf("%d of %d requests failed, %d were sent again", failed, sent, retried)
	}
	for pid := range l.pids() {
		if !good[pid] {
			t.Errorf("pid %d answered, but it is no copy that served", pid)
		}
	}
}
