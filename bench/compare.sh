#!/usr/bin/env bash
# compare.sh: daemonkit against the tools people would otherwise use, in one run on one
# machine, as a shell sees them. Prints a Markdown table of medians and ratios, with the
# targets of issue 12 beside each ratio and whether they are met.
#
# It builds daemonkit once (go build, into a temp dir; statically linked, CGO_ENABLED=0, as
# a release is, unless CGO_ENABLED says otherwise; BUILD_FLAGS are passed on), bench/empty
# (an empty Go program), bench/gopair (a minimal Go launcher and daemon), bench/helper (a
# subreaper, a lock holder for list) and bench/notifier.c (a small C daemon that sends
# READY=1 over sd_notify and exits at once on SIGTERM; bench/helper plays it where there is
# no C compiler), then, for RUNS rounds (default 20), measures each pair back to back, in
# alternating order:
#
#   floor    `daemonkit --version`, and a hidden command (`_reexec` without its handshake
#            descriptor: the binary's load and package initialisation, no grammar), against
#            an empty Go program; /bin/true shows what the clock and a fork+exec cost
#   ready    `daemonkit start -d` of the built-in server until ready, per strategy, against
#            `start-stop-daemon --start --background --notify-await --make-pidfile
#            --pidfile P --exec NOTIFIER`; and bench/gopair, the least two Go processes
#            can do as a launcher and a daemon, against the same
#   notify   `daemonkit start -d --strategy S --ready notify -- NOTIFIER`, per strategy,
#            against the same
#   others   `daemonize`, `daemon` and `setsid -f` starting NOTIFIER, where installed: they
#            return once they have forked, not once the program is ready
#   stop     `daemonkit stop` against `start-stop-daemon --stop --retry TERM/5 --pidfile P`,
#            both for the built-in server and for NOTIFIER (supervised by daemonkit; started
#            by start-stop-daemon), each of which exits at once on SIGTERM; and the part of
#            daemonkit's from its signal to the daemon gone, as it reports it
#   rss      VmRSS (/proc/PID/status) of the supervisor of `-- sleep 1000`, of the idle
#            built-in server, and of daemon(1) supervising `sleep 1000`; and the CPU each
#            uses while idle (its threads' schedstat, over IDLE_SECONDS, default 2)
#   output   how long a program takes to write OUTPUT_LINES lines (default 1000000) to its
#            standard output, timed inside it: supervised by daemonkit (into the log,
#            through the supervisor), by daemon(1) --output, and into a plain file; each
#            run until the last line is in the log (OUTPUT_RUNS rounds, default 5)
#   list     `daemonkit list` over LIST_SIZES instances (default "10 100 1000"), all running:
#            one helper process holds every pidfile's lock exactly as a daemon holds its
#            own, and every record names it; and the same number of stopped instances
#            (records only)
#
# Everything runs under a small subreaper that reaps orphans at once, as systemd or tini
# do, so that no tool waits on a slow init (start-stop-daemon counts a zombie as alive);
# REAPER=0 runs under whatever adopts orphans on this machine instead.
#
# Every command runs with a soft open-files limit (ulimit -Sn) of NOFILE, default 1024: the
# kernel's default, and what most login shells and services have. It matters to the
# references: start-stop-daemon closes every descriptor number up to that limit, one
# close(2) each, before it execs the program (daemonkit marks them close-on-exec with one
# close_range(2)), so a machine with a limit of 20000 makes it 20 ms slower here. The ready
# section times start-stop-daemon at this machine's own limit too, where it differs;
# NOFILE=keep keeps that limit for everything.
#
# Env: RUNS (20), ONLY (a comma list of the sections above; default all), LIST_SIZES,
# RSS_RUNS (5), IDLE_SECONDS (2), OUTPUT_LINES (1000000), OUTPUT_RUNS (5), NOFILE (1024),
# REAPER (1), CGO_ENABLED (0) and BUILD_FLAGS (for go build of daemonkit). Needs go and bash 5;
# start-stop-daemon (Debian: dpkg), daemonize, daemon and a C compiler are used when
# present, and their rows say "skipped" otherwise. Loopback only. Every process it starts
# is stopped by its pid when it exits, however it exits; nothing is killed by name.
set -euo pipefail
export LC_ALL=C

runs=${RUNS:-20}
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
	echo "RUNS must be a positive integer, got '$runs'" >&2
	exit 2
fi
nofile=${NOFILE:-1024}
if [[ $nofile != keep && ! $nofile =~ ^[1-9][0-9]*$ ]]; then
	echo "NOFILE must be a positive integer (an open-files limit) or 'keep', got '$nofile'" >&2
	exit 2
fi
only=",${ONLY:-floor,ready,notify,others,stop,rss,output,list},"
list_sizes=${LIST_SIZES:-10 100 1000}
output_lines=${OUTPUT_LINES:-1000000}
strategies="setsid nohup reexec"

# want SECTION: the section is to be measured.
want() { [[ $only == *",$1,"* ]]; }

# ---------------------------------------------------------------------------------------
# Measuring. Every sample is a wall time in microseconds, appended to $tmp/s/KEY.

# timed KEY CMD...: runs CMD (its output to $tmp/out and $tmp/err) and records its time;
# the script stops if CMD fails.
timed() {
	local key=$1 t0 t1 rc=0
	shift
	t0=$EPOCHREALTIME
	"$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	t1=$EPOCHREALTIME
	if ((rc != 0)); then
		echo "$key: '$*' exited $rc: $(head -c 2000 "$tmp/err")" >&2
		exit 1
	fi
	echo $((${t1/./} - ${t0/./})) >>"$tmp/s/$key"
}

# timed_any KEY CMD...: the same, whatever CMD's exit status.
timed_any() {
	local key=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	"$@" >"$tmp/out" 2>"$tmp/err" 3>&- || true
	t1=$EPOCHREALTIME
	echo $((${t1/./} - ${t0/./})) >>"$tmp/s/$key"
}

# median KEY: the median of KEY's samples (µs), or nothing.
median() {
	[[ -s $tmp/s/$1 ]] || return 0
	sort -n "$tmp/s/$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# spread KEY: "min-max" of KEY's samples, in ms.
spread() {
	sort -n "$tmp/s/$1" | awk '{ v[NR] = $1 } END { printf "%.1f-%.1f", v[1] / 1000, v[NR] / 1000 }'
}

# row WHAT KEY REFWHAT REFKEY TARGET: one line of the table. TARGET is a maximum ratio
# ("1.5"), or "-" for none. A missing KEY or REFKEY prints as skipped.
row() {
	local what=$1 key=$2 refwhat=$3 refkey=$4 target=$5 a b
	a=$(median "$key")
	b=$(median "$refkey")
	if [[ -z $a ]]; then
		printf '| %s | skipped%s | | | | | |\n' "$what" "$(note "$key")"
		return
	fi
	if [[ -z $b ]]; then
		printf '| %s | %.2f ms (%s) | %s | skipped%s | | | |\n' "$what" "$(ms "$a")" "$(spread "$key")" "$refwhat" "$(note "$refkey")"
		return
	fi
	awk -v what="$what" -v a="$a" -v b="$b" -v refwhat="$refwhat" -v t="$target" \
		-v sa="$(spread "$key")" -v sb="$(spread "$refkey")" 'BEGIN {
		r = a / b
		met = (t == "-") ? "" : (r <= t + 0 ? "yes" : "**no**")
		tt = (t == "-") ? "" : "<= " t
		printf "| %s | %.2f ms (%s) | %s | %.2f ms (%s) | %.2f | %s | %s |\n", what, a / 1000, sa, refwhat, b / 1000, sb, r, tt, met
	}'
}

ms() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1000 }'; }

# note KEY: why KEY has no samples, if a reason was recorded.
note() { [[ -s $tmp/s/$1.skip ]] && printf ': %s' "$(<"$tmp/s/$1.skip")"; true; }

skip() { echo "$2" >"$tmp/s/$1.skip"; }

# ---------------------------------------------------------------------------------------
# Processes: every one this script starts is recorded as "PID EXE" in $tmp/pids, and
# stopped by its pid at the end if it still runs and still is that program.

# alive PID: PID is a process, and not a zombie.
alive() {
	local stat
	[[ $1 =~ ^[1-9][0-9]*$ ]] || return 1
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	stat=${stat##*) } # the fields after the command name, which may hold anything
	[[ ${stat:0:1} != Z && ${stat:0:1} != X ]]
}

# until_ok WHAT CMD...: runs CMD until it succeeds, for at most 10 s; else says WHAT never
# happened and returns 1.
until_ok() {
	local what=$1 end=$((${EPOCHREALTIME/./} + 10000000))
	shift
	until "$@"; do
		if ((${EPOCHREALTIME/./} > end)); then
			echo "$what: not after 10 s" >&2
			return 1
		fi
		sleep 0.002
	done
}

not_alive() { ! alive "$1"; }

# wait_gone PID: until PID is gone (a zombie is gone), at most 10 s.
wait_gone() { until_ok "pid $1 gone" not_alive "$1"; }

track() { echo "$1 $2" >>"$tmp/pids"; }

# wait_file PATH: until PATH exists and is not empty, at most 10 s.
nonempty() { [[ -s $1 ]]; }
wait_file() { until_ok "$1 written" nonempty "$1" || exit 1; }

# readpid FILE: the pid in FILE, checked.
readpid() {
	local pid
	pid=$(<"$1")
	if ! [[ $pid =~ ^[0-9]+$ ]]; then
		echo "$1 holds '$pid', not a pid" >&2
		exit 1
	fi
	echo "$pid"
}

cleanup() {
	local pid exe
	[[ -x ${dk:-} && -d ${state:-} ]] && "$dk" stop --all --timeout 5s >/dev/null 2>&1 || true
	if [[ -s $tmp/pids ]]; then
		while read -r pid exe; do
			alive "$pid" || continue
			[[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$exe" ]] || continue
			echo "stopping leftover pid $pid ($exe)" >&2
			kill -TERM "$pid" 2>/dev/null || continue
			wait_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
		done <"$tmp/pids"
	fi
}

# ---------------------------------------------------------------------------------------
# The things measured, each started and stopped again.

# dk_stop_untimed NAME: stops the instance NAME outside any timer, and checks its daemon is
# gone.
dk_stop_untimed() {
	local pid
	pid=$(readpid "$state/$1.pid")
	"$dk" stop --name "$1" >/dev/null
	if alive "$pid"; then
		echo "daemonkit stop returned but pid $pid still runs" >&2
		exit 1
	fi
}

# ssd_start KEY: starts NOTIFIER with start-stop-daemon, timed as KEY.
ssd_start() {
	timed "$1" "$ssd" --start --background --notify-await --make-pidfile --pidfile "$tmp/ssd.pid" --exec "$notifier"
	track "$(readpid "$tmp/ssd.pid")" "$notifier"
}

# ssd_stop_untimed: stops what ssd_start started, by its pid, outside any timer.
ssd_stop_untimed() {
	local pid
	pid=$(readpid "$tmp/ssd.pid")
	kill -TERM "$pid"
	wait_gone "$pid"
	rm -f "$tmp/ssd.pid"
}

# daemon_started NAME CLIENT_EXE: once `daemon --name=NAME --pidfiles=$tmp/run` has
# written its pidfiles, sets dpid and dclient to its pid and its client's, and tracks both.
daemon_started() {
	wait_file "$tmp/run/$1.pid"
	wait_file "$tmp/run/$1.clientpid"
	dpid=$(readpid "$tmp/run/$1.pid")
	dclient=$(readpid "$tmp/run/$1.clientpid")
	track "$dpid" "$daemon"
	track "$dclient" "$2"
}

# daemon_stop NAME: stops what daemon_started found, by its pids: daemon(1) passes TERM on
# to its client, and exits.
daemon_stop() {
	kill -TERM "$dpid"
	wait_gone "$dpid"
	wait_gone "$dclient"
	rm -f "$tmp/run/$1.pid" "$tmp/run/$1.clientpid"
}

# pair I A B: runs the functions A and B, in that order when I is even, else B then A.
pair() {
	if (($1 % 2 == 0)); then
		"$2"
		"$3"
	else
		"$3"
		"$2"
	fi
}

section_floor() {
	local i
	for ((i = 0; i <= runs; i++)); do
		if ((i == 0)); then # a warm-up round, not recorded
			"$empty" && "$dk" --version >/dev/null && "$dk" _reexec 3>&- 2>/dev/null || true
			continue
		fi
		pair "$i" floor_version floor_empty
		timed_any hidden "$dk" _reexec
		timed true /bin/true
	done
}
floor_version() { timed version "$dk" --version; }
floor_empty() { timed empty "$empty"; }

section_ready() {
	local s i
	for s in $strategies; do
		cur=$s
		for ((i = 0; i <= runs; i++)); do
			pair "$i" ready_dk ready_ssd
			if ((i == 0)); then rm -f "$tmp/s/ready_$s" "$tmp/s/ready_ssd_$s"; fi
			if [[ $s == setsid ]] && ((i > 0)); then
				ready_gopair
				ready_ssd_machine
			fi
		done
	done
}
ready_dk() {
	timed "ready_$cur" "$dk" start -d --strategy "$cur" --name "srv-$cur" --listen 127.0.0.1:0
	track "$(readpid "$state/srv-$cur.pid")" "$dk"
	dk_stop_untimed "srv-$cur"
}
ready_ssd() {
	if [[ -z $ssd ]]; then return; fi
	ssd_start "ready_ssd_$cur"
	ssd_stop_untimed
}

# ready_gopair: the floor of a launcher made of two Go processes (bench/gopair).
ready_gopair() {
	local pid
	timed ready_gopair "$gopair" "$tmp/gopair.pid"
	pid=$(readpid "$tmp/gopair.pid")
	track "$pid" "$gopair"
	kill -TERM "$pid"
	wait_gone "$pid"
}

# ready_ssd_machine: start-stop-daemon again, at this machine's own open-files limit, where
# it differs from NOFILE's.
ready_ssd_machine() {
	[[ -n $ssd && $nofile_machine != "$(ulimit -Sn)" ]] || return 0
	(ulimit -Sn "$nofile_machine" && ssd_start ready_ssd_machine) || exit 1
	ssd_stop_untimed
}

section_notify() {
	local s i
	for s in $strategies; do
		cur=$s
		for ((i = 0; i <= runs; i++)); do
			pair "$i" notify_dk ready_ssd_n
			if ((i == 0)); then rm -f "$tmp/s/notify_$s" "$tmp/s/notify_ssd_$s"; fi
		done
	done
}
notify_dk() {
	timed "notify_$cur" "$dk" start -d --strategy "$cur" --name "prog-$cur" --ready notify -- "$notifier"
	track "$(readpid "$state/prog-$cur.pid")" "$dk"
	dk_stop_untimed "prog-$cur"
}
ready_ssd_n() {
	if [[ -z $ssd ]]; then return; fi
	ssd_start "notify_ssd_$cur"
	ssd_stop_untimed
}

section_others() {
	local i pid
	for ((i = 0; i <= runs; i++)); do
		if [[ -n $ssd ]]; then
			ssd_start ssd_others
			ssd_stop_untimed
		fi
		if [[ -n $daemonize ]]; then
			rm -f "$tmp/dz.pid"
			timed daemonize "$daemonize" -p "$tmp/dz.pid" "$notifier"
			wait_file "$tmp/dz.pid" # written by the daemon, after daemonize has returned
			pid=$(readpid "$tmp/dz.pid")
			track "$pid" "$notifier"
			kill -TERM "$pid"
			wait_gone "$pid"
		fi
		if [[ -n $daemon ]]; then
			rm -f "$tmp/run/bnotif.pid"
			timed daemon "$daemon" --unsafe --name=bnotif --pidfiles="$tmp/run" -- "$notifier"
			daemon_started bnotif "$notifier"
			daemon_stop bnotif
		fi
		timed setsid_f setsid -f "$notifier"
		# setsid -f says nothing of the pid, and returns before its child has run: find
		# the notifier by its command line, which is the path in this run's temp dir.
		until_ok "setsid -f: the notifier running" pgrep -x -f "$notifier" >/dev/null || exit 1
		pid=$(pgrep -n -x -f "$notifier")
		track "$pid" "$notifier"
		kill -TERM "$pid"
		wait_gone "$pid"
		if ((i == 0)); then rm -f "$tmp/s/ssd_others" "$tmp/s/daemonize" "$tmp/s/daemon" "$tmp/s/setsid_f"; fi
	done
}

section_stop() {
	local i
	for ((i = 0; i <= runs; i++)); do
		pair "$i" stop_dk_server stop_ssd_server
		pair "$i" stop_dk_prog stop_ssd_prog
		if ((i == 0)); then rm -f "$tmp/s"/stop_*; fi
	done
}
# reported_wait KEY: records the wait `daemonkit stop` reported in $tmp/out ("stopped NAME
# (pid N) in 4ms": from its signal to the daemon gone), in µs.
reported_wait() {
	awk '/^stopped / {
		d = $NF
		if (d ~ /µs$/) { sub(/µs$/, "", d); print d + 0; exit }
		if (d ~ /ms$/) { sub(/ms$/, "", d); print d * 1000; exit }
		if (d ~ /s$/) { sub(/s$/, "", d); print d * 1000000; exit }
	}' "$tmp/out" >>"$tmp/s/$1"
}

stop_dk_server() {
	local pid
	"$dk" start -d --name stopme --listen 127.0.0.1:0 >/dev/null
	pid=$(readpid "$state/stopme.pid")
	track "$pid" "$dk"
	timed stop_dk_server "$dk" stop --name stopme
	reported_wait stop_dk_server_wait
	if alive "$pid"; then
		echo "daemonkit stop returned but pid $pid still runs" >&2
		exit 1
	fi
}
stop_ssd_server() {
	local pid
	[[ -n $ssd ]] || return 0
	"$dk" start -d --name stopme --listen 127.0.0.1:0 >/dev/null
	pid=$(readpid "$state/stopme.pid")
	track "$pid" "$dk"
	timed stop_ssd_server "$ssd" --stop --quiet --retry TERM/5 --pidfile "$state/stopme.pid"
	if alive "$pid"; then
		echo "start-stop-daemon returned but pid $pid still runs" >&2
		exit 1
	fi
	"$dk" stop --name stopme >/dev/null # forgets the record it left saying running
}
stop_dk_prog() {
	local pid
	"$dk" start -d --name stopprog --ready notify -- "$notifier" >/dev/null
	pid=$(readpid "$state/stopprog.pid")
	track "$pid" "$dk"
	timed stop_dk_prog "$dk" stop --name stopprog
	reported_wait stop_dk_prog_wait
	if alive "$pid"; then
		echo "daemonkit stop returned but pid $pid still runs" >&2
		exit 1
	fi
}
stop_ssd_prog() {
	local pid
	[[ -n $ssd ]] || return 0
	"$ssd" --start --background --notify-await --make-pidfile --pidfile "$tmp/ssd.pid" --exec "$notifier"
	pid=$(readpid "$tmp/ssd.pid")
	track "$pid" "$notifier"
	timed stop_ssd_prog "$ssd" --stop --quiet --retry TERM/5 --pidfile "$tmp/ssd.pid"
	if alive "$pid"; then
		echo "start-stop-daemon returned but pid $pid still runs" >&2
		exit 1
	fi
	rm -f "$tmp/ssd.pid"
}

# rss_of PID: VmRSS in KiB.
rss_of() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }

# cpu_ns PID: nanoseconds on a CPU of PID's live threads (each thread's schedstat).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'; }

section_rss() {
	local i sup srv dpid n=${RSS_RUNS:-5} idle=${IDLE_SECONDS:-2}
	local s0 v0 d0
	for ((i = 0; i < n; i++)); do
		"$dk" start -d --name rss-sup -- sleep 1000 >/dev/null
		sup=$(readpid "$state/rss-sup.pid")
		track "$sup" "$dk"
		"$dk" start -d --name rss-srv --listen 127.0.0.1:0 >/dev/null
		srv=$(readpid "$state/rss-srv.pid")
		track "$srv" "$dk"
		dpid=
		if [[ -n $daemon ]]; then
			rm -f "$tmp/run/bsleep.pid"
			"$daemon" --unsafe --name=bsleep --pidfiles="$tmp/run" -- /bin/sleep 1000
			wait_file "$tmp/run/bsleep.pid"
			dpid=$(readpid "$tmp/run/bsleep.pid")
			track "$dpid" "$daemon"
		fi
		sleep 0.5 # let each settle after start-up: a resident size, not a start-up peak
		rss_of "$sup" >>"$tmp/s/rss_sup"
		rss_of "$srv" >>"$tmp/s/rss_srv"
		[[ -z $dpid ]] || rss_of "$dpid" >>"$tmp/s/rss_daemon"
		# CPU while idle, over IDLE_SECONDS, as µs a minute
		s0=$(cpu_ns "$sup") v0=$(cpu_ns "$srv") d0=
		[[ -z $dpid ]] || d0=$(cpu_ns "$dpid")
		sleep "$idle"
		echo $((($(cpu_ns "$sup") - s0) * 60 / idle / 1000)) >>"$tmp/s/idle_sup"
		echo $((($(cpu_ns "$srv") - v0) * 60 / idle / 1000)) >>"$tmp/s/idle_srv"
		if [[ -n $dpid ]]; then
			echo $((($(cpu_ns "$dpid") - d0) * 60 / idle / 1000)) >>"$tmp/s/idle_daemon"
			kill -TERM "$dpid"
			wait_gone "$dpid"
		fi
		"$dk" stop --name rss-sup >/dev/null
		"$dk" stop --name rss-srv >/dev/null
	done
}

# chatty: the program of the output section. It waits for the file GO (so that what
# started it has settled), writes LINES lines of seq to its standard output, then writes
# "T0 T1" (its clock around the writing, in µs) to TIMES and sleeps.
write_chatty() {
	cat >"$tmp/chatty" <<'CHATTY'
#!/usr/bin/env bash
lines=$1 go=$2 times=$3
until [[ -e $go ]]; do sleep 0.005; done
t0=$EPOCHREALTIME
seq 1 "$lines"
t1=$EPOCHREALTIME
echo "${t0/./} ${t1/./}" >"$times.tmp" && mv "$times.tmp" "$times"
exec sleep 1000
CHATTY
	chmod +x "$tmp/chatty"
}

# chatty_time KEY LOG: once the chatty program has written its times and LOG has its
# last line, records how long the writing took as KEY.
has_line() { grep -qx -- "$2" "$1" 2>/dev/null; }
chatty_time() {
	local t0 t1
	wait_file "$tmp/chatty.times"
	until_ok "$2: line $output_lines" has_line "$2" "$output_lines" || exit 1
	read -r t0 t1 <"$tmp/chatty.times"
	echo $((t1 - t0)) >>"$tmp/s/$1"
	rm -f "$tmp/chatty.go" "$tmp/chatty.times"
}

section_output() {
	local i n=${OUTPUT_RUNS:-5} pid sleep_exe
	sleep_exe=$(readlink -f "$(command -v sleep)")
	write_chatty
	rm -f "$tmp/chatty.go" "$tmp/chatty.times"
	for ((i = 0; i < n; i++)); do
		"$dk" start -d --name chatty -- "$tmp/chatty" "$output_lines" "$tmp/chatty.go" "$tmp/chatty.times" >/dev/null
		track "$(readpid "$state/chatty.pid")" "$dk"
		touch "$tmp/chatty.go"
		chatty_time output_dk "$tmp/log/chatty.log"
		dk_stop_untimed chatty
		rm -f "$tmp/log/chatty.log"
		if [[ -n $daemon ]]; then
			rm -f "$tmp/run/bchatty.pid" "$tmp/run/bchatty.clientpid" "$tmp/chatty.out"
			"$daemon" --unsafe --name=bchatty --pidfiles="$tmp/run" --output="$tmp/chatty.out" -- \
				"$tmp/chatty" "$output_lines" "$tmp/chatty.go" "$tmp/chatty.times"
			daemon_started bchatty "$sleep_exe" # what the program is once it has written
			touch "$tmp/chatty.go"
			chatty_time output_daemon "$tmp/chatty.out"
			daemon_stop bchatty
		fi
		touch "$tmp/chatty.go"
		"$tmp/chatty" "$output_lines" "$tmp/chatty.go" "$tmp/chatty.times" >"$tmp/chatty.file" &
		pid=$!
		track "$pid" "$sleep_exe" # what the program is once it has written
		chatty_time output_file "$tmp/chatty.file"
		kill -TERM "$pid"
		wait "$pid" 2>/dev/null || true
	done
	rm -f "$tmp/chatty.out" "$tmp/chatty.file"
}

section_list() {
	local n i pid
	for n in $list_sizes; do
		rm -rf "$tmp/list"
		: >"$tmp/locker.out"
		"$helper" locker "$tmp/list" "$n" >"$tmp/locker.out" &
		pid=$!
		track "$pid" "$helper"
		until_ok "$n instances locked" nonempty "$tmp/locker.out" || exit 1
		if [[ $("$dk" --state-dir "$tmp/list" list --json | grep -c '"state": "running"') -ne $n ]]; then
			echo "list does not show $n running instances" >&2
			"$dk" --state-dir "$tmp/list" list | head >&2
			exit 1
		fi
		for ((i = 0; i < runs; i++)); do
			timed "list_run_$n" "$dk" --state-dir "$tmp/list" list
		done
		kill -TERM "$pid"
		wait "$pid" || true
		rm -rf "$tmp/list"
		"$helper" records "$tmp/list" "$n"
		for ((i = 0; i < runs; i++)); do
			timed "list_stopped_$n" "$dk" --state-dir "$tmp/list" list
		done
		rm -rf "$tmp/list"
	done
}

# ---------------------------------------------------------------------------------------

measure() {
	tmp=$1
	dk=$tmp/daemonkit empty=$tmp/empty helper=$tmp/helper notifier=$tmp/notifier gopair=$tmp/gopair
	state=$tmp/state
	export DAEMONKIT_STATE_DIR=$state DAEMONKIT_LOG_DIR=$tmp/log
	unset NOTIFY_SOCKET DAEMONKIT_STRATEGY
	mkdir -p "$tmp/s" "$tmp/run"
	: >"$tmp/pids"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	nofile_machine=$(ulimit -Sn)
	if [[ $nofile != keep ]] && ! ulimit -Sn "$nofile"; then
		echo "cannot set the open-files limit to NOFILE=$nofile (the hard limit is $(ulimit -Hn))" >&2
		exit 2
	fi

	ssd=$(command -v start-stop-daemon || true)
	local p
	for p in /usr/sbin/start-stop-daemon /sbin/start-stop-daemon; do
		[[ -z $ssd && -x $p ]] && ssd=$p
	done
	if [[ -n $ssd ]] && ! "$ssd" --help 2>&1 | grep -q -- --notify-await; then
		echo "$ssd has no --notify-await (dpkg older than 1.19.3): not compared" >&2
		ssd=
	fi
	daemonize=$(command -v daemonize || true)
	daemon=$(command -v daemon || true)
	local k
	for k in ready_ssd_setsid ready_ssd_nohup ready_ssd_reexec notify_ssd_setsid notify_ssd_nohup notify_ssd_reexec ssd_others stop_ssd_server stop_ssd_prog; do
		[[ -n $ssd ]] || skip "$k" "start-stop-daemon with --notify-await not installed"
	done
	[[ -n $daemonize ]] || skip daemonize "not installed (apt-get install daemonize)"
	[[ -n $daemon ]] || { skip daemon "not installed (apt-get install daemon)"; skip rss_daemon "not installed"; skip output_daemon "not installed"; }

	local load0
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	want floor && section_floor
	want ready && section_ready
	want notify && section_notify
	want others && section_others
	want stop && section_stop
	want rss && section_rss
	want output && section_output
	want list && section_list

	echo
	echo "Measured $(date -u +%Y-%m-%dT%H:%MZ): $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(uname -sr),"
	echo "$(go version | cut -d' ' -f3), daemonkit $(stat -c %s "$dk" | awk '{ printf "%.1f MB", $1 / 1e6 }') ($link), notifier in $notifier_lang,"
	echo "start-stop-daemon $([[ -n $ssd ]] && "$ssd" --version | head -1 | awk '{ print $2 }' || echo none); RUNS=$runs pairs; load average $load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after;"
	echo "open-files limit (ulimit -Sn) $(ulimit -Sn) for every command (NOFILE; this machine's own: $nofile_machine);"
	echo "orphans reaped by: $reaped_by. Medians, (min-max) in ms; ratio = daemonkit's median / the reference's."
	echo
	echo "| what | daemonkit | reference | | ratio | target | met |"
	echo "| --- | ---: | --- | ---: | ---: | --- | --- |"
	if want floor; then
		row '`daemonkit --version`' version 'empty Go program' empty 1.5
		row 'hidden command (`_reexec`, no handshake): load + init' hidden 'empty Go program' empty -
		row '`/bin/true` (clock + fork/exec)' true 'empty Go program' empty -
	fi
	local ssd_start_label='`start-stop-daemon --start --background --notify-await`'
	if want ready; then
		row '`start -d` built-in server, setsid' ready_setsid "$ssd_start_label" ready_ssd_setsid 1.0
		row '`start -d` built-in server, nohup' ready_nohup "$ssd_start_label" ready_ssd_nohup 1.0
		row '`start -d` built-in server, reexec' ready_reexec "$ssd_start_label" ready_ssd_reexec 1.5
		[[ -s $tmp/s/ready_ssd_machine ]] || skip ready_ssd_machine "this machine's open-files limit is NOFILE's"
		row 'two minimal Go processes (`bench/gopair`: one starts the other in a new session, waits for its ready byte)' ready_gopair "$ssd_start_label" ready_ssd_setsid -
		row "$ssd_start_label at this machine's open-files limit ($nofile_machine)" ready_ssd_machine "the same at $(ulimit -Sn)" ready_ssd_setsid -
	fi
	if want notify; then
		row '`start -d --ready notify -- notifier`, setsid' notify_setsid "$ssd_start_label" notify_ssd_setsid 1.0
		row '`start -d --ready notify -- notifier`, nohup' notify_nohup "$ssd_start_label" notify_ssd_nohup 1.0
		row '`start -d --ready notify -- notifier`, reexec' notify_reexec "$ssd_start_label" notify_ssd_reexec 1.5
	fi
	if want others; then
		row '`daemonize` (returns before ready)' daemonize "$ssd_start_label" ssd_others -
		row '`daemon` (returns before ready)' daemon "$ssd_start_label" ssd_others -
		row '`setsid -f` (returns before ready)' setsid_f "$ssd_start_label" ssd_others -
	fi
	if want stop; then
		row '`daemonkit stop`, built-in server' stop_dk_server '`start-stop-daemon --stop --retry TERM/5`, same' stop_ssd_server 0.2
		row '`daemonkit stop`, supervised notifier' stop_dk_prog '`start-stop-daemon --stop --retry TERM/5`, notifier' stop_ssd_prog 0.2
		row 'of which signal to gone, as `daemonkit stop` reports it (server)' stop_dk_server_wait '`start-stop-daemon --stop --retry TERM/5`, whole' stop_ssd_server -
		row 'of which signal to gone, as `daemonkit stop` reports it (supervised)' stop_dk_prog_wait '`start-stop-daemon --stop --retry TERM/5`, whole' stop_ssd_prog -
	fi
	if want rss; then
		awk -v s="$(median rss_sup)" -v d="$(median rss_daemon)" -v v="$(median rss_srv)" 'BEGIN {
			printf "| VmRSS, supervisor of `-- sleep 1000` | %.1f MiB | daemon(1) supervising `sleep 1000` | %s | | <= 8 MiB | %s |\n",
				s / 1024, (d == "" ? "skipped" : sprintf("%.1f MiB", d / 1024)), (s / 1024 <= 8 ? "yes" : "**no**")
			printf "| VmRSS, idle built-in server | %.1f MiB | | | | | |\n", v / 1024
		}'
		awk -v s="$(median idle_sup)" -v d="$(median idle_daemon)" -v v="$(median idle_srv)" 'BEGIN {
			printf "| CPU while idle, supervisor of `-- sleep 1000` | %.2f ms a minute | daemon(1) supervising `sleep 1000` | %s | | | |\n",
				s / 1000, (d == "" ? "skipped" : sprintf("%.2f ms a minute", d / 1000))
			printf "| CPU while idle, built-in server (a heartbeat line a second) | %.2f ms a minute | | | | | |\n", v / 1000
		}'
	fi
	if want output; then
		row "a program writing $output_lines lines, supervised (into the log)" output_dk "the same, under \`daemon --output\`" output_daemon -
		row "a program writing $output_lines lines, supervised (into the log)" output_dk 'the same, into a plain file' output_file -
	fi
	if want list; then
		local n
		for n in $list_sizes; do
			local t=-
			[[ $n == 1000 ]] && t=250
			awk -v n="$n" -v a="$(median "list_run_$n")" -v b="$(median "list_stopped_$n")" -v t="$t" \
				-v sa="$(spread "list_run_$n")" -v sb="$(spread "list_stopped_$n")" 'BEGIN {
				met = (t == "-") ? "" : (a / 1000 <= t ? "yes" : "**no**")
				printf "| `daemonkit list`, %d running | %.2f ms (%s) | the same, %d stopped (records only) | %.2f ms (%s) | | %s | %s |\n",
					n, a / 1000, sa, n, b / 1000, sb, (t == "-" ? "" : "<= " t " ms"), met
			}'
		done
	fi
}

if [[ ${1:-} == --measure ]]; then
	link=$3 notifier_lang=$4 reaped_by=$5
	measure "$2"
	exit 0
fi

# ---------------------------------------------------------------------------------------
# Build everything once, then measure (under the reaper unless REAPER=0).

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "building daemonkit, bench/empty, bench/helper, bench/gopair and the notifier in $tmp ..." >&2
# shellcheck disable=SC2086 # BUILD_FLAGS is a list of flags
# statically linked by default, as a release is built (docs/performance.md, "Static build");
# CGO_ENABLED=1 measures what a plain go build makes on a machine with a C compiler
(cd "$repo" && CGO_ENABLED=${CGO_ENABLED:-0} go build ${BUILD_FLAGS:-} -o "$tmp/daemonkit" . &&
	go build -o "$tmp/empty" ./bench/empty && go build -o "$tmp/helper" ./bench/helper &&
	go build -o "$tmp/gopair" ./bench/gopair)
cc=$(command -v cc || command -v gcc || true)
if [[ -n $cc ]]; then
	"$cc" -O2 -o "$tmp/notifier" "$repo/bench/notifier.c"
	lang=C
else
	cp "$tmp/helper" "$tmp/notifier" # run under that name, the helper is the notifier
	lang="Go (no C compiler; bench/helper as notifier)"
	echo "no C compiler: the notifier is bench/helper's, in Go" >&2
fi
if grep -q 'ld-linux\|/lib64/ld\|/lib/ld' <(head -c 4096 "$tmp/daemonkit" | tr -c '[:print:]' '\n'); then
	link="dynamically linked: cgo"
else
	link="statically linked"
fi

if [[ ${REAPER:-1} == 0 ]]; then
	reaped_by="pid 1 ($(cat /proc/1/comm)) or the nearest subreaper (REAPER=0)"
	bash "${BASH_SOURCE[0]}" --measure "$tmp" "$link" "$lang" "$reaped_by"
else
	reaped_by="a subreaper that reaps at once (bench/helper reaper)"
	"$tmp/helper" reaper bash "${BASH_SOURCE[0]}" --measure "$tmp" "$link" "$lang" "$reaped_by"
fi
