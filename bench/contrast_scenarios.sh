# contrast_scenarios.sh: the scenarios of contrast.sh, sourced by it inside a PID namespace
# of their own, where this shell is pid 2, the child of a shell that only waits. Each prints
# rows of its table.
# shellcheck shell=bash

d="$work/run"
dk=daemonkit

# row SCENARIO TOOL WHAT KEPT prints one row of the table.
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }

# has TOOL says whether a command is installed; missing prints its row.
has() {
	if [[ $1 == pm2 ]]; then
		[[ -n $PM2 && -x $PM2 ]] && return 0
	elif command -v "$1" >/dev/null; then
		return 0
	fi
	row "$scenario" "$1" "not installed" ""
	return 1
}

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

# procs sets the array P to "pid comm" of every live process in the namespace but its pid 1,
# this shell and its subshells; zombies count as gone. No process is started to list them.
procs() {
	P=()
	local f line pid comm rest
	for f in /proc/[0-9]*/stat; do
		read -r line <"$f" 2>/dev/null || continue
		pid=${line%% *}
		[[ $pid == 1 || $pid == "$$" || $pid == "$BASHPID" ]] && continue
		comm=${line#*\(}
		comm=${comm%\)*}
		rest=${line##*) }
		[[ ${rest%% *} == Z ]] && continue
		P+=("$pid $comm")
	done
}

# count COMM... is how many live processes have one of these names.
count() {
	local n=0 p c
	procs
	for p in "${P[@]}"; do
		for c in "$@"; do
			[[ ${p#* } == "$c" ]] && n=$((n + 1))
		done
	done
	echo "$n"
}

# until_ok SECONDS CMD... runs CMD every 10 ms until it succeeds or SECONDS pass.
until_ok() {
	local limit=$(($(now_us) + $1 * 1000000))
	shift
	until "$@"; do
		(($(now_us) < limit)) || return 1
		sleep 0.01
	done
}

# reset kills every process in the namespace but pid 1 and this shell (kill(-1) reaches
# exactly those), waits until they are gone, and empties the scenario's directory.
reset() {
	kill -KILL -1 2>/dev/null || true
	until_ok 5 none_left || true
	rm -rf "${d:?}"/*
}
none_left() { procs; ((${#P[@]} == 0)); }

# started SCENARIO LABEL START COND: runs START (its output in $d/out) and waits up to 5 s
# for COND; if either fails, prints the row that says the program did not start, and fails.
started() {
	if ! eval "$3" >"$d/out" 2>&1 || ! until_ok 5 "$4"; then
		row "$1" "$2" "the program did not start: $(said "$d/out")" ""
		return 1
	fi
}

# timed OUT CMD... runs CMD with its output in OUT; sets RC and MS.
timed() {
	local out=$1 t0
	shift
	t0=$(now_us)
	set +e
	"$@" >"$out" 2>&1 </dev/null
	RC=$?
	set -e
	MS=$((($(now_us) - t0) / 1000))
}

# said OUT: what a command printed, on one line, shortened.
said() {
	local s
	s=$(tr '\n' ' ' <"$1" | tr -s ' ' | sed 's/|/\\|/g')
	[[ -n $s ]] || { echo "nothing"; return; }
	((${#s} <= 160)) || s="${s:0:157}..."
	echo "\"$s\""
}

# supervisord_up PROGRAM-SECTION starts a supervisord of its own in $d with one program.
supervisord_up() {
	cat >"$d/sv.conf" <<EOF
[unix_http_server]
file=$d/sv.sock
[supervisord]
logfile=$d/sv.log
pidfile=$d/sv.pid
childlogdir=$d
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://$d/sv.sock
$1
EOF
	supervisord -c "$d/sv.conf"
	until_ok 10 supervisorctl -c "$d/sv.conf" pid >/dev/null 2>&1
}
svctl() { supervisorctl -c "$d/sv.conf" "$@"; }

# supervisord_with NAME PROG starts a supervisord whose one program, NAME, runs the shell
# command PROG once started by hand (svctl start NAME).
supervisord_with() {
	supervisord_up "[program:$1]
command=/bin/sh -c '$2'
autostart=false"
}

pm2() { PM2_HOME="$d/pm2" "$PM2" "$@"; }

# ---- dies: the program fails at once ----------------------------------------------------

scenario_dies() {
	local prog='echo "boom: no config" >&2; exit 3'
	dies_row() { # TOOL KEPT-IF-RC-NONZERO
		local what
		if [[ $RC == 0 ]]; then
			what="exit 0 after $MS ms; printed $(said "$d/out")"
			row dies "$1" "$what" "no: exit 0"
		else
			what="exit $RC after $MS ms; printed $(said "$d/out")"
			if grep -q -e 'status 3' -e boom "$d/out"; then
				row dies "$1" "$what" "yes"
			else
				row dies "$1" "$what" "no: not why"
			fi
		fi
	}
	if has start-stop-daemon; then
		timed "$d/out" start-stop-daemon --start --background --make-pidfile --pidfile "$d/a.pid" \
			--exec /bin/sh -- -c "$prog"
		dies_row "start-stop-daemon --background"
		timed "$d/out" start-stop-daemon --start --background --notify-await \
			--notify-timeout "$NOTIFY_TIMEOUT" --make-pidfile --pidfile "$d/b.pid" --exec /bin/sh -- -c "$prog"
		dies_row "start-stop-daemon --notify-await --notify-timeout $NOTIFY_TIMEOUT"
	fi
	if has daemonize; then
		timed "$d/out" daemonize -p "$d/c.pid" -e "$d/c.err" /bin/sh -c "$prog"
		dies_row "daemonize -e FILE"
	fi
	if has daemon; then
		timed "$d/out" daemon --name=dies --pidfiles="$d" -- /bin/sh -c "$prog"
		dies_row "daemon"
	fi
	if has setsid; then
		timed "$d/out" setsid -f /bin/sh -c "$prog"
		dies_row "setsid -f"
	fi
	timed "$d/out" bash -c 'nohup sh -c "$1" >/dev/null 2>&1 &' _ "$prog"
	dies_row 'nohup CMD &'
	has supervisord && dies_supervisord dies "supervisorctl start (startsecs=1, startretries=3)"
	has pm2 && dies_pm2 dies "pm2 start"
	timed "$d/out" "$dk" start -d --state-dir "$d/st" --log-dir "$d/st" --name dies -- /bin/sh -c "$prog"
	dies_row "daemonkit start -d"

	# The same failure half a second in: after a grace period, before it would listen.
	prog="sleep 0.5; $prog"
	if has supervisord; then
		reset
		dies_supervisord late "after 0.5 s: supervisorctl start (startsecs=1)"
	fi
	if has pm2; then
		reset
		dies_pm2 late "after 0.5 s: pm2 start"
	fi
	reset
	timed "$d/out" "$dk" start -d --state-dir "$d/st" --log-dir "$d/st" --name late -- /bin/sh -c "$prog"
	dies_row "after 0.5 s: daemonkit start -d (ready by exec and 200 ms of grace)"
	reset
	timed "$d/out" "$dk" start -d --state-dir "$d/st" --log-dir "$d/st" --name late2 \
		--ready tcp:127.0.0.1:1 -- /bin/sh -c "$prog"
	dies_row "after 0.5 s: daemonkit start -d --ready tcp:ADDR"
}

# dies_supervisord NAME LABEL and dies_pm2 NAME LABEL start $prog as NAME under that tool
# and report it as LABEL.
dies_supervisord() {
	supervisord_with "$1" "$prog"
	timed "$d/out" svctl start "$1"
	dies_row "$2"
}
dies_pm2() {
	timed "$d/out" pm2 start /bin/sh --name "$1" --no-color -- -c "$prog"
	pm2_status "$d/out"
	dies_row "$2"
}

# pm2_status OUT replaces pm2's table in OUT by what it says: its last line before the
# table, and the status column.
pm2_status() {
	local t done
	t=$(grep -o -E '│ *(online|errored|stopped|launching) *│' "$1" | head -1 | tr -d '│ ' || true)
	done=$(grep '^\[PM2\]' "$1" | tail -1 || true)
	printf '%s status column: %s\n' "$done" "${t:-none}" >"$1"
}

# ---- cantrun: the program is there but cannot run ---------------------------------------

# A script saved with DOS line endings: its interpreter is "/bin/sh\r", which exec(2)
# reports as "no such file or directory" of a file that exists. Does start fail, and say why?
scenario_cantrun() {
	printf '#!/bin/sh\r\necho hello\r\nexec sleep 1000\r\n' >"$d/dos.sh"
	chmod 755 "$d/dos.sh"
	local prog="$d/dos.sh"
	cant_row() { # TOOL
		local what="exit $RC after $MS ms; printed $(said "$d/out")"
		if [[ $RC == 0 ]]; then
			row cantrun "$1" "$what" "no: exit 0"
		elif grep -q -i -e 'carriage return' -e 'line endings' "$d/out"; then
			row cantrun "$1" "$what" "yes"
		else
			row cantrun "$1" "$what" "no: not why"
		fi
	}
	if has start-stop-daemon; then
		timed "$d/out" start-stop-daemon --start --background --make-pidfile --pidfile "$d/a.pid" --exec "$prog"
		cant_row "start-stop-daemon --background"
		timed "$d/out" start-stop-daemon --start --exec "$prog"
		cant_row "start-stop-daemon (foreground)"
	fi
	if has daemonize; then
		timed "$d/out" daemonize -p "$d/c.pid" -e "$d/c.err" "$prog"
		cant_row "daemonize -e FILE"
	fi
	if has setsid; then
		timed "$d/out" setsid -f "$prog"
		cant_row "setsid -f"
	fi
	if has supervisord; then
		reset
		printf '#!/bin/sh\r\necho hello\r\nexec sleep 1000\r\n' >"$d/dos.sh"
		chmod 755 "$d/dos.sh"
		supervisord_up "[program:dos]
command=$prog
autostart=false"
		timed "$d/out" svctl start dos
		cant_row "supervisorctl start"
	fi
	if has pm2; then
		timed "$d/out" pm2 start "$prog" --name dos --no-color
		pm2_status "$d/out"
		cant_row "pm2 start"
	fi
	timed "$d/out" "$dk" start -d --state-dir "$d/st" --log-dir "$d/st" --name dos -- "$prog"
	cant_row "daemonkit start -d"
}

# ---- slow: the program listens only 1.5 s after it starts --------------------------------

scenario_slow() {
	if ! command -v python3 >/dev/null; then
		row slow python3 "not installed: it is the slow program" ""
		return
	fi
	local prog="sleep 1.5; exec python3 -m http.server --bind 127.0.0.1 8089 >/dev/null 2>&1"
	slow_try "start-stop-daemon --background" has start-stop-daemon \
		start-stop-daemon --start --background --make-pidfile --pidfile "$d/a.pid" --exec /bin/sh -- -c "$prog"
	slow_try "daemonize" has daemonize daemonize -p "$d/c.pid" /bin/sh -c "$prog"
	slow_try "daemon" has daemon daemon --name=slow --pidfiles="$d" -- /bin/sh -c "$prog"
	slow_try "setsid -f" has setsid setsid -f /bin/sh -c "$prog"
	slow_try "supervisorctl start (startsecs=1)" has supervisord slow_supervisord "$prog"
	slow_try "pm2 start" has pm2 pm2 start /bin/sh --name slow -- -c "$prog"
	slow_try "daemonkit start -d (ready by exec)" true daemonkit \
		"$dk" start -d --state-dir "$d/st" --log-dir "$d/st" --name slow -- /bin/sh -c "$prog"
	slow_try "daemonkit start -d --ready tcp:127.0.0.1:8089" true daemonkit \
		"$dk" start -d --state-dir "$d/st" --log-dir "$d/st" --name slow --ready tcp:127.0.0.1:8089 -- /bin/sh -c "$prog"
}

slow_supervisord() { supervisord_with slow "$1" && svctl start slow; }

# slow_try LABEL CHECK TOOL START...: START, then connect at once: does the program answer
# the moment the tool returns 0?
slow_try() {
	local label=$1 check=$2 tool=$3
	shift 3
	"$check" "$tool" || return 0
	reset
	timed "$d/out" "$@"
	if [[ $RC != 0 ]]; then
		row slow "$label" "exit $RC after $MS ms; printed $(said "$d/out")" "no: failed"
	elif (exec 3<>/dev/tcp/127.0.0.1/8089) 2>/dev/null; then
		row slow "$label" "exit 0 after $MS ms; the port answered at once" yes
	else
		row slow "$label" "exit 0 after $MS ms; the port refused a connection made at once" "no: returned before ready"
	fi
}

# ---- stale: stop with a pidfile that names something else -------------------------------

scenario_stale() {
	local content tool
	for content in unrelated sameprog 0 -1 garbage; do
		for tool in ssd ssd-exec kill dk; do
			stale_try "$content" "$tool"
		done
	done
}

# stale_try CONTENT TOOL: a sentinel elsewhere (its own session) and one in the caller's
# process group; the pidfile names the first, or holds CONTENT; then TOOL stops "the daemon".
stale_try() {
	local content=$1 tool=$2 label cmd
	case $tool in
	ssd)
		has start-stop-daemon || return 0
		label="start-stop-daemon --stop --pidfile"
		cmd='start-stop-daemon --stop --retry TERM/1 --pidfile "$D/st/x.pid"'
		;;
	ssd-exec)
		# As its manual advises: --exec too, so that it signals only the daemon's program
		# (/bin/true stands for it; the sentinels are sleep, the same program in "sameprog").
		has start-stop-daemon || return 0
		label="start-stop-daemon --stop --pidfile --exec PROG"
		cmd='start-stop-daemon --stop --retry TERM/1 --pidfile "$D/st/x.pid" --exec "$EXE"'
		;;
	kill)
		label='kill $(cat PIDFILE)'
		cmd='kill $(cat "$D/st/x.pid")'
		;;
	dk)
		label="daemonkit stop"
		cmd='daemonkit stop --state-dir "$D/st" --name x'
		;;
	esac
	reset
	mkdir -p "$d/st"
	setsid sleep 1000 &
	local far=$!
	local exe=/bin/true
	case $content in
	unrelated) echo "$far" >"$d/st/x.pid" ;;
	sameprog) echo "$far" >"$d/st/x.pid" && exe=$(command -v sleep) ;;
	garbage) echo "${far}abc" >"$d/st/x.pid" ;; # digits first, then junk
	*) echo "$content" >"$d/st/x.pid" ;;
	esac
	# The caller: a shell in a process group of its own, with a second sentinel in it.
	D=$d EXE=$exe setsid bash -c 'sleep 1000 & echo $! >"$D/near"; '"$cmd"'; echo $? >"$D/rc"' \
		>"$d/out" 2>&1 &
	local caller=$!
	# A tool that signals -1 signals this shell too: it survives by its trap, and waits again.
	trap : TERM
	while alive "$caller"; do
		wait "$caller" || true
	done
	trap - TERM
	local near hit=()
	near=$(<"$d/near")
	# A signal is delivered at once but acted on a moment later: give the sentinels a second
	# to die before calling them spared.
	until_ok 1 both_dead "$far" "$near" || true
	alive "$far" || hit+=("the unrelated process")
	alive "$near" || hit+=("a process of the caller's group")
	[[ -s $d/rc ]] || hit+=("the caller itself")
	local what kept
	if ((${#hit[@]} == 0)); then
		what="signalled nothing; printed $(said "$d/out")"
		kept=yes
	else
		what="killed $(IFS=,; echo "${hit[*]}" | sed 's/,/, /g'); exit $(cat "$d/rc" 2>/dev/null || echo '(killed)')"
		kept=no
	fi
	local shown=$content
	case $content in
	unrelated) shown="a live unrelated pid" ;;
	sameprog) shown="another live copy of the same program" ;;
	garbage) shown="that pid, then abc" ;;
	esac
	row stale "$label, pidfile: $shown" "$what" "$kept"
}

both_dead() { ! alive "$1" && ! alive "$2"; }

alive() {
	local line
	read -r line <"/proc/$1/stat" 2>/dev/null || return 1
	line=${line##*) }
	[[ ${line%% *} != Z ]]
}

# ---- race: one daemon started twice at once ----------------------------------------------

scenario_race() {
	local tool
	for tool in ssd daemonize daemon dk; do
		race_tool "$tool"
	done
}

race_start() {
	case $1 in
	ssd) start-stop-daemon --start --background --make-pidfile --pidfile "$d/r.pid" --exec /bin/sleep -- 1000 ;;
	daemonize) daemonize -p "$d/r.pid" -l "$d/r.lock" /bin/sleep 1000 ;;
	daemon) daemon --name=r --pidfiles="$d" -- /bin/sleep 1000 ;;
	dk) "$dk" start -d --state-dir "$d/st" --log-dir "$d/st" --name r -- sleep 1000 ;;
	esac
}

# settled: no launcher is still on its way, and every supervisor has its program.
settled() {
	(($(count start-stop-daem daemonize) == 0)) &&
		(($(count sleep) >= $(count daemon daemonkit)))
}

race_tool() {
	local tool=$1 label twice=0 none=0 i a b
	case $tool in
	ssd) has start-stop-daemon || return 0; label="start-stop-daemon --start --background --make-pidfile" ;;
	daemonize) has daemonize || return 0; label="daemonize -l LOCK" ;;
	daemon) has daemon || return 0; label="daemon --name" ;;
	dk) label="daemonkit start -d" ;;
	esac
	for ((i = 0; i < RACE_PAIRS; i++)); do
		reset
		race_start "$tool" >/dev/null 2>&1 &
		a=$!
		race_start "$tool" >/dev/null 2>&1 &
		b=$!
		wait "$a" "$b" || true
		until_ok 5 settled || true
		case $(count sleep) in
		0) none=$((none + 1)) ;;
		1) ;;
		*) twice=$((twice + 1)) ;;
		esac
	done
	local what="two running after $twice of $RACE_PAIRS pairs"
	((none == 0)) || what+=", none after $none"
	row race "$label" "$what" "$( ((twice == 0 && none == 0)) && echo yes || echo no)"
}

# ---- children: what stop leaves behind -----------------------------------------------------

scenario_children() {
	local prog='sleep 1001 & (setsid sleep 1002 &); exec sleep 1000'
	if has start-stop-daemon; then
		children_try "start-stop-daemon --stop --retry TERM/5" \
			"start-stop-daemon --start --background --make-pidfile --pidfile $d/c.pid --exec /bin/sh -- -c '$prog'" \
			"start-stop-daemon --stop --retry TERM/5 --pidfile $d/c.pid"
	fi
	if has daemon; then
		children_try "daemon --stop" "daemon --name=c --pidfiles=$d -- /bin/sh -c '$prog'" \
			"daemon --name=c --pidfiles=$d --stop"
	fi
	if has supervisord; then
		children_try "supervisorctl stop (stopasgroup=false)" \
			"supervisord_up \"[program:c]
command=/bin/sh -c '$prog'
startsecs=0\"" "svctl stop c"
		children_try "supervisorctl stop (stopasgroup=true)" \
			"supervisord_up \"[program:c]
command=/bin/sh -c '$prog'
startsecs=0
stopasgroup=true
killasgroup=true\"" "svctl stop c"
	fi
	if has pm2; then
		children_try "pm2 stop" "pm2 start /bin/sh --name c -- -c '$prog'" "pm2 stop c"
	fi
	children_try "daemonkit stop" "$dk start -d --state-dir $d/st --log-dir $d/st --name c -- /bin/sh -c '$prog'" \
		"$dk stop --state-dir $d/st --name c"
}

all_three() { (($(count sleep) == 3)); }
none_of_them() { (($(count sleep) == 0)); }

# children_try LABEL START STOP: START, wait for the program and its two children, STOP, and
# report what is still running a second after STOP returned.
children_try() {
	reset
	started children "$1" "$2" all_three || return 0
	timed "$d/out" eval "$3"
	until_ok 1 none_of_them || true
	still_running "its worker (same group)" "its grandchild (own session)"
	if [[ -z $LEFT ]]; then
		row children "$1" "exit $RC after $MS ms; nothing left" yes
	else
		row children "$1" "exit $RC after $MS ms; still running 1 s later: $LEFT" no
	fi
}

# still_running WORKER GRANDCHILD sets LEFT to what still runs of the program (sleep 1000),
# its WORKER (sleep 1001) and its GRANDCHILD (sleep 1002), comma-separated; empty if none.
still_running() {
	local left=() p
	procs
	for p in "${P[@]}"; do
		[[ ${p#* } == sleep ]] || continue
		case $(tr '\0' ' ' <"/proc/${p%% *}/cmdline") in
		*1000*) left+=("the program") ;;
		*1001*) left+=("$1") ;;
		*1002*) left+=("$2") ;;
		esac
	done
	LEFT=$(IFS=,; echo "${left[*]}" | sed 's/,/, /g')
}

# ---- killed: the supervisor is killed with SIGKILL, then the program started again -------

scenario_killed() {
	if has daemon; then
		killed_try "daemon" "daemon --name=k --pidfiles=$d -- /bin/sleep 1000" "cat $d/k.pid"
	fi
	if has supervisord; then
		killed_try "supervisord" "supervisord_up '[program:k]
command=/bin/sleep 1000
startsecs=0'" "cat $d/sv.pid"
	fi
	if has pm2; then
		killed_try "pm2 (its daemon)" "pm2 start /bin/sleep --name k -- 1000" "cat $d/pm2/pm2.pid"
	fi
	killed_try "daemonkit" "$dk start -d --state-dir $d/st --log-dir $d/st --name k -- sleep 1000" \
		"cat $d/st/k.pid"

	# Then a program with a worker that left its group: after the supervisor is killed,
	# the tool's stop. What is still running?
	local prog='(setsid sleep 1001 &); exec sleep 1000'
	if has daemon; then
		killed_stop_try "daemon, then daemon --stop" "daemon --name=k --pidfiles=$d -- /bin/sh -c '$prog'" \
			"cat $d/k.pid" "daemon --name=k --pidfiles=$d --stop"
	fi
	if has supervisord; then
		killed_stop_try "supervisord (stopasgroup=true), then supervisorctl stop" "supervisord_up \"[program:k]
command=/bin/sh -c '$prog'
startsecs=0
stopasgroup=true
killasgroup=true\"" "cat $d/sv.pid" "svctl stop k"
	fi
	if has pm2; then
		killed_stop_try "pm2 (its daemon), then pm2 stop" "pm2 start /bin/sh --name k -- -c '$prog'" \
			"cat $d/pm2/pm2.pid" "pm2 stop k"
	fi
	killed_stop_try "daemonkit, then daemonkit stop" \
		"$dk start -d --state-dir $d/st --log-dir $d/st --name k -- /bin/sh -c '$prog'" \
		"cat $d/st/k.pid" "$dk stop --state-dir $d/st --name k"
}

# killed_stop_try LABEL START SUPERVISOR-PID STOP: START (a program and a worker in a session
# of its own), SIGKILL the supervisor, then STOP: what is still running a second later?
killed_stop_try() {
	reset
	started killed "$1" "$2" both_running || return 0
	local sup
	sup=$(eval "$3")
	kill -KILL "$sup"
	until_ok 2 not_alive "$sup" || true
	timed "$d/out" eval "$4"
	until_ok 1 none_of_them || true
	still_running "its worker (own session)" "its grandchild"
	if [[ -z $LEFT ]]; then
		row killed "$1" "stop: exit $RC; nothing left" yes
	else
		row killed "$1" "stop: exit $RC; still running 1 s later: $LEFT" no
	fi
}
both_running() { (($(count sleep) == 2)); }

# killed_try LABEL START SUPERVISOR-PID: START, SIGKILL the supervisor (the pid that
# SUPERVISOR-PID prints), then START again: how many copies of the program run?
killed_try() {
	reset
	started killed "$1" "$2" one_running || return 0
	local sup left
	sup=$(eval "$3")
	kill -KILL "$sup"
	until_ok 2 not_alive "$sup" || true
	until_ok 1 none_of_them || true
	left=$(count sleep)
	if ! eval "$2" >"$d/out" 2>&1 || ! until_ok 5 more_than "$left"; then
		row killed "$1" "$left left running; a new start failed: $(said "$d/out")" ""
		return
	fi
	local n
	n=$(count sleep)
	if ((n == 1)); then
		row killed "$1" "the program died with it; a new start runs 1 copy" yes
	else
		row killed "$1" "the program kept running, unsupervised; a new start runs $n copies" no
	fi
}
one_running() { (($(count sleep) == 1)); }
more_than() { (($(count sleep) > $1)); }
not_alive() { ! alive "$1"; }

# ---- crash: restarts of a program that keeps failing -------------------------------------

scenario_crash() {
	# Started by any tool's measure (it runs 1.2 s: past supervisord's startsecs and pm2's
	# min_uptime, both 1 s by default), then fails: a crash loop.
	# Each run starts a worker first, as a server's master would.
	local prog="echo start >>$d/starts; sleep 1001 & sleep 1.2; exit 1"
	if has daemon; then
		reset
		daemon --respawn --name=k --pidfiles="$d" -- /bin/sh -c "$prog" >/dev/null 2>&1 || true
		crash_row "daemon --respawn (defaults)" daemon_state
	fi
	if has supervisord; then
		reset
		supervisord_up "[program:k]
command=/bin/sh -c '$prog'
autorestart=true" >/dev/null
		crash_row "supervisord autorestart=true (defaults)" supervisord_state
	fi
	if has pm2; then
		reset
		pm2 start /bin/sh --name k -- -c "$prog" >/dev/null 2>&1
		crash_row "pm2 start (defaults)" pm2_state
	fi
	reset
	"$dk" start -d --state-dir "$d/st" --log-dir "$d/st" --name k --restart on-failure -- /bin/sh -c "$prog" >/dev/null 2>&1 || true
	crash_row "daemonkit start -d --restart on-failure (defaults)" dk_state
}

daemon_state() { daemon --name=k --pidfiles="$d" --running >/dev/null 2>&1 && echo "running" || echo "not running"; }
supervisord_state() { svctl status k | awk '{print $2}'; }
pm2_state() { pm2 jlist 2>/dev/null | grep -o '"status":"[a-z]*"' | head -1 | cut -d'"' -f4; }
dk_state() { { "$dk" status --state-dir "$d/st" --name k 2>&1 || true; } | grep -v -e stopped: -e log: -e program: | tr -s ' \n' ' '; }

# crash_row LABEL STATE-CMD: how many starts within CRASH_SECONDS of the first (an observation
# window, not a deadline), and the state STATE-CMD reports at its end: a tool that still
# calls it running is still restarting it.
crash_row() {
	local t0 n state workers
	t0=$(now_us)
	# Half a second into the third run, how many workers run? One is this run's; any more
	# were left by the runs before, beside it (holding its port, for a real server).
	if until_ok "$CRASH_SECONDS" starts_at_least 3; then
		sleep 0.5
		workers=$(count_cmdline 'sleep 1001')
	else
		workers="none: no third run"
	fi
	local left=$((CRASH_SECONDS * 1000000 - ($(now_us) - t0)))
	((left <= 0)) || sleep "$((left / 1000))e-3"
	n=$(starts)
	state=$($2)
	state=${state% }
	local what="$n starts in $CRASH_SECONDS s; workers running in the third run: $workers; then: $state"
	if [[ $workers =~ ^[0-9]+$ ]] && ((workers > 1)); then
		row crash "$1" "$what" "no: earlier runs' workers left running"
	elif [[ $state =~ not\ running|FATAL|errored|stopped ]]; then
		row crash "$1" "$what" "yes: gave up, and says so"
	elif ((n < 2)); then
		row crash "$1" "$what" "no: never restarted it, yet says running"
	else
		row crash "$1" "$what" "no: still restarting"
	fi
}
starts() { if [[ -f $d/starts ]]; then wc -l <"$d/starts"; else echo 0; fi; }
starts_at_least() { (($(starts) >= $1)); }

# count_cmdline ARGS is how many live processes have exactly that command line.
count_cmdline() {
	local n=0 p
	procs
	for p in "${P[@]}"; do
		[[ $(tr '\0' ' ' <"/proc/${p%% *}/cmdline" 2>/dev/null) == "$1 " ]] && n=$((n + 1))
	done
	echo "$n"
}
