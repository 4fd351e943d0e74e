#!/usr/bin/env bash
# soak.sh: does anything grow or get lost over time? Three long runs, each sampled from
# /proc every SAMPLE seconds (default 20): the daemon's open descriptors (/proc/PID/fd),
# threads and VmRSS (/proc/PID/status), and CPU (utime+stime of /proc/PID/stat, in ticks).
#
#   restarts  a supervised program that ends every 0.2 s, `start -d --restart always
#             --restart-delay 10ms --min-uptime 100ms --max-restarts 0 -- sh -c 'echo hi;
#             sleep 0.2'`, for RESTARTS_SECONDS (default 600): the supervisor's samples,
#             its children that are zombies (none may be), and at the end the record's
#             restart count against the runs the log shows (an "hi" line each; one more
#             run than restarts). Without --min-uptime every run counts as failed and the
#             back-off reaches 30 s: some 30 restarts in ten minutes, not 3,000.
#   server    the built-in server (`start -d --listen 127.0.0.1:0`) under keep-alive load
#             (bench/helper load: two connections, GET /healthz, LOAD_GAP between two
#             requests of one, default 1ms: about half of two cores here), with `reload`
#             every 2 s and `mv LOG LOG.N; reopen` every 10 s, for SERVER_SECONDS (default
#             300): the samples, every failed request, p50/p99 latency each SAMPLE
#             seconds, and at the end every heartbeat (count=1, 2, ... with no gap) and one
#             "reopened log" line per reload and per reopen, across all the rotated files.
#   upgrade   the built-in work on `--socket tcp:127.0.0.1:0`, under the same load,
#             upgraded UPGRADES times (default 50), one after the other: after each, the
#             supervisor's descriptors, threads and VmRSS, its children (one copy, no old
#             one left) and the generation the record gives (upgrade N: N+1); every
#             failed, refused or reset request.
#
# Env: ONLY (a comma list of the three; default all), SAMPLE, RESTARTS_SECONDS,
# SERVER_SECONDS, LOAD_GAP, UPGRADES, BUILD_FLAGS (for go build of daemonkit). Needs go,
# bash 5 and python3 (to read `status --json`). Loopback only. It builds daemonkit and
# bench/helper into a temp dir, and runs everything with its own --state-dir and --log-dir
# there; every process it starts is stopped by its pid when it exits, however it exits.
# It prints what it measured; it asserts nothing but exits 1 if a request failed, a
# line is missing, or a count is wrong.
set -euo pipefail
export LC_ALL=C

only=",${ONLY:-restarts,server,upgrade},"
sample=${SAMPLE:-20}
restarts_seconds=${RESTARTS_SECONDS:-600}
server_seconds=${SERVER_SECONDS:-300}
load_gap=${LOAD_GAP:-1ms}
upgrades=${UPGRADES:-50}
for v in sample restarts_seconds server_seconds upgrades; do
	if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
		echo "${v^^} must be a positive integer, got '${!v}'" >&2
		exit 2
	fi
done

want() { [[ $only == *",$1,"* ]]; }

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/daemonkit-soak.XXXXXX")
dk=$tmp/daemonkit helper=$tmp/helper
export DAEMONKIT_STATE_DIR=$tmp/state DAEMONKIT_LOG_DIR=$tmp/log
mkdir -p "$tmp/state" "$tmp/log"
bad=0

# alive PID: PID is a process, and not a zombie.
alive() {
	local stat
	[[ $1 =~ ^[1-9][0-9]*$ ]] || return 1
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z && ${stat:0:1} != X ]]
}

# The load clients started, by pid; the daemons are stopped by `stop --all`, and the
# server's signaller by $tmp/stop.
loaders=()
cleanup() {
	local pid
	touch "$tmp/stop"
	"$dk" stop --all --timeout 5s >/dev/null 2>&1 || true
	for pid in "${loaders[@]}"; do
		alive "$pid" && kill -TERM "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

(cd "$root" && go build ${BUILD_FLAGS:-} -o "$dk" . && go build -o "$helper" ./bench/helper)

# field NAME KEY: KEY of `status --json` of NAME, running or not (status exits 3 then).
field() {
	{ "$dk" status --name "$1" --json || true; } | python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$2"
}

# sample PID: one line of PID's descriptors, threads, VmRSS (kB), CPU ticks, and its
# zombie children.
sample() {
	local pid=$1 stat
	stat=$(<"/proc/$pid/stat")
	stat=${stat##*) }
	read -ra f <<<"$stat"
	printf '%s fds=%d threads=%d rss_kb=%d cpu_ticks=%d zombie_children=%d\n' "$(date -u +%T)" \
		"$(find "/proc/$pid/fd" -mindepth 1 | wc -l)" \
		"$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")" \
		"$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")" \
		$((f[11] + f[12])) \
		"$(ps --ppid "$pid" -o stat= | grep -c '^Z' || true)"
}

# samples PID SECONDS: samples PID every $sample s for SECONDS, and once more at the end.
samples() {
	local pid=$1 end=$((SECONDS + $2)) next=$SECONDS
	while ((SECONDS < end)); do
		if ((SECONDS >= next)); then
			sample "$pid"
			next=$((SECONDS + sample))
		fi
		sleep 1
	done
	sample "$pid"
}

failed() {
	echo "FAILED: $*"
	bad=1
}

echo "soak: $(date -u +%F), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3)"

if want restarts; then
	echo "## restarts: a program that ends every 0.2 s, for $restarts_seconds s"
	"$dk" start -d --name loop --restart always --restart-delay 10ms --min-uptime 100ms \
		--max-restarts 0 -- sh -c 'echo hi; sleep 0.2' >/dev/null
	pid=$(field loop pid)
	samples "$pid" "$restarts_seconds"
	"$dk" stop --name loop >/dev/null
	restarts=$(field loop restarts) runs=$(grep -c '^hi$' "$tmp/log/loop.log" || true)
	echo "restarts recorded: $restarts; runs in the log: $runs"
	((runs == restarts + 1)) || failed "the record says $restarts restarts, the log $runs runs"
fi

if want server; then
	echo "## server: the built-in server under load, reload every 2 s, reopen every 10 s, for $server_seconds s"
	"$dk" start -d --name web --listen 127.0.0.1:0 >/dev/null
	pid=$(field web pid) addr=$(field web listen) log=$tmp/log/web.log
	"$helper" load "$addr" /healthz "$load_gap" "${sample}s" >"$tmp/load.out" 2>"$tmp/load.err" &
	loaders+=($!)
	(
		n=0
		while sleep 2 && [[ ! -e $tmp/stop ]]; do
			"$dk" reload --name web >/dev/null || echo "FAILED: reload $n"
			n=$((n + 1))
			if ((n % 5 == 0)); then
				mv "$log" "$log.$((n / 5))"
				"$dk" reopen --name web >/dev/null || echo "FAILED: reopen $((n / 5))"
			fi
			echo "$n" >"$tmp/reloads"
		done
	) &
	signaller=$!
	samples "$pid" "$server_seconds"
	touch "$tmp/stop"
	wait "$signaller"
	kill -TERM "${loaders[-1]}"
	wait "${loaders[-1]}" || true
	"$dk" stop --name web >/dev/null
	echo "load, per $sample s:"
	cat "$tmp/load.out"
	if [[ -s $tmp/load.err ]]; then
		failed "$(wc -l <"$tmp/load.err") requests:"
		head -20 "$tmp/load.err"
	fi
	reloads=$(<"$tmp/reloads") reopens=$(($(<"$tmp/reloads") / 5))
	for ((k = 1; k <= reopens; k++)); do cat "$log.$k"; done >"$tmp/web.all"
	cat "$log" >>"$tmp/web.all"
	heartbeats=$(grep -o 'heartbeat: count=[0-9]*' "$tmp/web.all" | cut -d= -f2 |
		awk '$1 != NR && !gap { gap = "count " NR " missing" } END { print gap ? gap : NR }')
	hup=$(grep -c 'reopened log: signal=SIGHUP' "$tmp/web.all" || true)
	usr1=$(grep -c 'reopened log: signal=SIGUSR1' "$tmp/web.all" || true)
	echo "reloads: $reloads, in the logs: $hup; reopens: $reopens, in the logs: $usr1; heartbeats: $heartbeats, in $((reopens + 1)) files"
	[[ $heartbeats =~ ^[0-9]+$ ]] || failed "heartbeats: $heartbeats"
	((hup == reloads && usr1 == reopens)) || failed "a reload or reopen line is missing"
fi

if want upgrade; then
	echo "## upgrade: the built-in work on --socket, upgraded $upgrades times under load"
	"$dk" start -d --name work --socket tcp:127.0.0.1:0 >/dev/null
	pid=$(field work pid) addr=$(field work listen)
	"$helper" load "$addr" /healthz "$load_gap" 3600s >"$tmp/load.out" 2>"$tmp/load.err" &
	loaders+=($!)
	sample "$pid"
	for ((i = 1; i <= upgrades; i++)); do
		"$dk" upgrade --name work >/dev/null || failed "upgrade $i"
		kids=$(ps --ppid "$pid" -o pid= | wc -l)
		gen=$("$dk" status --name work --json | python3 -c 'import json, sys; print(" ".join(str(c["generation"]) for c in json.load(sys.stdin).get("copies", [])))')
		echo "$(sample "$pid") upgrade=$i generation=$gen children=$kids"
		[[ $gen == $((i + 1)) && $kids == 1 ]] || failed "upgrade $i: generation '$gen', $kids children"
	done
	kill -TERM "${loaders[-1]}"
	wait "${loaders[-1]}" || true
	"$dk" stop --name work >/dev/null
	echo "load: $(tail -1 "$tmp/load.out")"
	if [[ -s $tmp/load.err ]]; then
		failed "$(wc -l <"$tmp/load.err") requests:"
		head -20 "$tmp/load.err"
	fi
fi
exit $bad
