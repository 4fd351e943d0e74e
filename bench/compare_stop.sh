#!/usr/bin/env bash
# compare_stop.sh: how long does stopping a daemon take, end to end, as a shell sees it?
#
# Builds daemonkit once into a temp dir, then, RUNS times (default 20):
#   - starts the built-in server (`daemonkit start -d`, 127.0.0.1:0) and times
#     (a) `daemonkit stop` and
#     (b) Debian's `start-stop-daemon --stop --pidfile P --retry TERM/10`
#         (skipped, and said so, if start-stop-daemon is not installed);
#   - times `daemonkit --version` against an empty Go program and /bin/true.
# Every stop is timed with `date +%s%N` around the command, so each number includes the
# cost of starting that command; /bin/true shows what the clock and a fork+exec alone cost.
# Prints min / median / max in ms for each.
#
# A daemon counts as gone for `daemonkit stop` once it has exited (a zombie is gone), but
# start-stop-daemon polls with kill(pid, 0), which still succeeds on a zombie: it returns
# only once the daemon's parent has reaped it. A detached daemon's parent is init, or the
# nearest subreaper. So that init's reaping speed is not what is measured, the runs go under
# a small subreaper built here that reaps at once, as systemd or tini would. REAPER=0 runs
# them under whatever adopts orphans on this machine instead.
#
# Env: RUNS (default 20), REAPER (default 1). Needs go. Uses only loopback. Every daemon it
# starts is stopped by its pid on exit, never by name.
set -euo pipefail

runs=${RUNS:-20}
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
	echo "RUNS must be a positive integer, got '$runs'" >&2
	exit 2
fi

# now_ns prints the wall clock in nanoseconds.
now_ns() { date +%s%N; }

# stats NAME FILE: one line with min / median / max (ms) of the ns values in FILE.
stats() {
	sort -n "$2" | awk -v name="$1" '
		{ v[NR] = $1 }
		END {
			if (NR == 0) { printf "%-34s no samples\n", name; exit }
			med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%-34s min %8.2f   median %8.2f   max %8.2f ms   (n=%d)\n",
				name, v[1] / 1e6, med / 1e6, v[NR] / 1e6, NR
		}'
}

# ---------------------------------------------------------------------------------------
# measure TMP: the runs, under the reaper (or not). Its daemons are tracked in $daemon_pid.

daemon_pid=

# alive PID: the process exists and is not a zombie.
alive() {
	local st
	st=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ $st != Z && $st != X ]]
}

# stop_leftover: stops the daemon this script started last, by its pid, if it still runs
# and is still our binary (so that a reused pid is never hit).
stop_leftover() {
	local pid=$daemon_pid i
	[[ -n $pid ]] || return 0
	daemon_pid=
	alive "$pid" || return 0
	[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$dk" ]] || return 0
	echo "stopping leftover daemon (pid $pid)" >&2
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 500; i++)); do
		alive "$pid" || return 0
		sleep 0.01
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# start_daemon: starts the built-in server, records its pid in daemon_pid.
start_daemon() {
	"$dk" start -d --listen 127.0.0.1:0 >/dev/null
	daemon_pid=$(<"$pidfile")
	if ! [[ $daemon_pid =~ ^[0-9]+$ ]]; then
		echo "pidfile $pidfile holds '$daemon_pid', not a pid" >&2
		exit 1
	fi
}

measure() {
	local tmp=$1 i t0 t1 out rc f p
	dk=$tmp/daemonkit
	export DAEMONKIT_STATE_DIR=$tmp/state DAEMONKIT_LOG_DIR=$tmp/log
	pidfile=$DAEMONKIT_STATE_DIR/server.pid
	trap stop_leftover EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	local ssd=
	ssd=$(command -v start-stop-daemon || true)
	for p in /usr/sbin/start-stop-daemon /sbin/start-stop-daemon; do
		[[ -z $ssd && -x $p ]] && ssd=$p
	done
	if [[ -z $ssd ]]; then
		echo "start-stop-daemon not found (Debian: dpkg provides it): skipping (b)" >&2
	fi

	for f in dk_stop ssd_stop version empty_go true; do
		: >"$tmp/$f"
	done
	for ((i = 1; i <= runs; i++)); do
		# (a) daemonkit stop
		start_daemon
		t0=$(now_ns)
		"$dk" stop >/dev/null
		t1=$(now_ns)
		echo $((t1 - t0)) >>"$tmp/dk_stop"
		if alive "$daemon_pid"; then
			echo "daemonkit stop returned but pid $daemon_pid still runs" >&2
			exit 1
		fi
		daemon_pid=

		# (b) start-stop-daemon --retry TERM/10
		if [[ -n $ssd ]]; then
			start_daemon
			rc=0
			t0=$(now_ns)
			"$ssd" --stop --quiet --pidfile "$pidfile" --retry TERM/10 || rc=$?
			t1=$(now_ns)
			if ((rc != 0)); then
				echo "run $i: start-stop-daemon exited $rc (pid $daemon_pid)" >&2
				exit 1
			fi
			echo $((t1 - t0)) >>"$tmp/ssd_stop"
			if alive "$daemon_pid"; then
				echo "start-stop-daemon returned but pid $daemon_pid still runs" >&2
				exit 1
			fi
			daemon_pid=
			# start-stop-daemon removes no pidfile; the daemon removed its own on its
			# graceful exit. `daemonkit stop` removes one left behind, if any.
			out=$("$dk" stop)
			case $out in
			*"was not running"*) ;;
			*)
				echo "after start-stop-daemon, daemonkit stop said: $out" >&2
				exit 1
				;;
			esac
		fi

		# the cost of a command: daemonkit --version, an empty Go program, /bin/true
		t0=$(now_ns)
		"$dk" --version >/dev/null
		t1=$(now_ns)
		echo $((t1 - t0)) >>"$tmp/version"
		t0=$(now_ns)
		"$tmp/empty" >/dev/null
		t1=$(now_ns)
		echo $((t1 - t0)) >>"$tmp/empty_go"
		t0=$(now_ns)
		/bin/true
		t1=$(now_ns)
		echo $((t1 - t0)) >>"$tmp/true"
	done

	stats "daemonkit stop" "$tmp/dk_stop"
	if [[ -n $ssd ]]; then
		stats "start-stop-daemon --retry TERM/10" "$tmp/ssd_stop"
	else
		echo "start-stop-daemon --retry TERM/10  skipped: not installed"
	fi
	stats "daemonkit --version" "$tmp/version"
	stats "empty Go program" "$tmp/empty_go"
	stats "/bin/true (clock + fork/exec)" "$tmp/true"
}

if [[ ${1:-} == --measure ]]; then
	measure "$2"
	exit 0
fi

# ---------------------------------------------------------------------------------------
# Build everything, then run the measurements (under the reaper unless REAPER=0).

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/empty" "$tmp/src/reaper"

echo "building daemonkit and two small programs in $tmp ..." >&2
(cd "$repo" && go build -o "$tmp/daemonkit" .)

printf 'module empty\n\ngo 1.22\n' >"$tmp/src/empty/go.mod"
printf 'package main\n\nfunc main() {}\n' >"$tmp/src/empty/main.go"
(cd "$tmp/src/empty" && GOWORK=off go build -o "$tmp/empty" .)

printf 'module reaper\n\ngo 1.22\n' >"$tmp/src/reaper/go.mod"
cat >"$tmp/src/reaper/main.go" <<'EOF'
// reaper runs a command as a child subreaper: orphans below it are reparented to it and
// reaped at once, as a normal init does. It forwards SIGINT, SIGTERM and SIGHUP to the
// command and exits with the command's status.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

const prSetChildSubreaper = 36

func main() {
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		fmt.Fprintf(os.Stderr, "reaper: prctl(PR_SET_CHILD_SUBREAPER): %v\n", e)
		os.Exit(1)
	}
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "reaper: %v\n", err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	pid, err := syscall.ForkExec(path, os.Args[1:], &syscall.ProcAttr{
		Env: os.Environ(), Files: []uintptr{0, 1, 2},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "reaper: start %s: %v\n", path, err)
		os.Exit(1)
	}
	go func() {
		for s := range sigs {
			_ = syscall.Kill(pid, s.(syscall.Signal))
		}
	}()
	for {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(-1, &ws, 0, nil)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			fmt.Fprintf(os.Stderr, "reaper: wait: %v\n", err)
			os.Exit(1)
		case wpid != pid:
			continue // an orphan, reaped
		case ws.Signaled():
			os.Exit(128 + int(ws.Signal()))
		default:
			os.Exit(ws.ExitStatus())
		}
	}
}
EOF
(cd "$tmp/src/reaper" && GOWORK=off go build -o "$tmp/reaper" .)

echo "runs: $runs, $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
if [[ ${REAPER:-1} == 0 ]]; then
	echo "orphans adopted by: pid 1 ($(cat /proc/1/comm)) or the nearest subreaper (REAPER=0)"
	bash "${BASH_SOURCE[0]}" --measure "$tmp"
else
	echo "orphans adopted by: a subreaper that reaps at once"
	"$tmp/reaper" bash "${BASH_SOURCE[0]}" --measure "$tmp"
fi
