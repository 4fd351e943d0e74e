#!/usr/bin/env bash
# contrast.sh: what the classic tools do where daemonkit promises more, side by side, in one
# run on one machine. compare.sh measures speed; this measures behaviour. Prints one
# Markdown table: for each scenario and tool, what happened and whether the promise a
# careful user needs was kept.
#
#   dies     the program fails at once (`echo boom >&2; exit 3`): does start say so, and why?
#   slow     the program listens 1.5 s after it starts (python3's http.server): does the
#            port answer the moment start returns 0?
#   stale    stop, with a pidfile that names something else: a live unrelated process,
#            another live copy of the same program, 0, -1, or a pid followed by garbage.
#            Does anything but the daemon get a signal?
#   race     the same daemon started twice at once, RACE_PAIRS times (default 30): how
#            often do two end up running?
#   children stop a program that started a worker in its process group and one that left
#            it (setsid): what is left running once stop returns?
#   killed   the supervisor is killed with SIGKILL (kill -9, the OOM killer), then the
#            program is started again: how many copies of it run?
#   crash    a program that exits 1 after 1.2 s, with restarts on: how many starts in
#            CRASH_SECONDS (default 12), and does it stop trying?
#   cantrun  a script saved with DOS line endings (its #! interpreter is "/bin/sh\r"), which
#            exec(2) calls "no such file or directory": does start fail, and say why?
#
# Every scenario runs in a PID namespace (with a mount namespace, for its own /proc, and a
# network namespace, for its own loopback) of its own, so that a tool that signals pid 0 or -1 can reach nothing outside it, and so that
# what a tool left behind is everything else in the namespace. When a scenario ends, the
# namespace's first process exits and the kernel kills what is left; the script also kills
# that process by its pid on the way out. Nothing is killed by name.
#
# Needs root (or unprivileged user namespaces), bash 5, go, unshare (util-linux).
# start-stop-daemon (Debian: dpkg), daemonize, daemon (Debian packages of those names),
# supervisord (Debian: supervisor) and pm2 (`npm install --prefix DIR pm2`, then PM2=DIR/
# node_modules/.bin/pm2) are used where found; their rows say "not installed" otherwise.
#
# Env: ONLY (a comma list of the scenarios above; default all), RACE_PAIRS (30),
# CRASH_SECONDS (12), NOTIFY_TIMEOUT (5: start-stop-daemon's --notify-timeout in "dies";
# its own default is 60), PM2.
set -euo pipefail
export LC_ALL=C

if [[ ${1:-} == --inside ]]; then
	# In the namespace, as its pid 1: run the scenario as a child, so that what it starts has
	# an ordinary parent (daemon(1) does not detach when its parent is pid 1), and orphans
	# come here.
	ip link set lo up 2>/dev/null || true # a loopback of its own: "slow" listens on a fixed port
	bash "$0" --scenario "$2" "$3"
	exit
fi
if [[ ${1:-} == --scenario ]]; then
	scenario=$2 work=$3
	# shellcheck source=bench/contrast_scenarios.sh
	source "$(dirname "$0")/contrast_scenarios.sh"
	"scenario_$scenario"
	exit 0
fi

root=$(cd "$(dirname "$0")/.." && pwd)
only=",${ONLY:-dies,slow,stale,race,children,killed,crash,cantrun},"
work=$(mktemp -d)
inner=
cleanup() {
	if [[ -n $inner ]]; then
		kill -KILL "$inner" 2>/dev/null || true # the namespace's pid 1: the kernel kills the rest
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

userns=()
if [[ $(id -u) != 0 ]]; then
	userns=(--map-root-user)
fi
mkdir -p "$work/bin" "$work/run"
(cd "$root" && CGO_ENABLED=0 go build -o "$work/bin/daemonkit" .)
export PATH="$work/bin:$PATH" RACE_PAIRS="${RACE_PAIRS:-30}" CRASH_SECONDS="${CRASH_SECONDS:-12}"
export NOTIFY_TIMEOUT="${NOTIFY_TIMEOUT:-5}" PM2="${PM2:-$(command -v pm2 || true)}"

echo "# contrast.sh, $(date -u +%Y-%m-%dT%H:%MZ), $(uname -sr), $(nproc) cores"
echo
echo "| scenario | tool | what happened | promise kept |"
echo "| --- | --- | --- | --- |"
for s in dies slow stale race children killed crash cantrun; do
	[[ $only == *",$s,"* ]] || continue
	# In a session of its own too: a tool that signals its process group (pid 0) must not
	# reach this script.
	setsid unshare "${userns[@]}" --fork --pid --mount --mount-proc --net bash "$0" --inside "$s" "$work" 2>"$work/stderr" &
	launcher=$!
	# The namespace's pid 1 is unshare's one child; remember it so that cleanup can kill it.
	for _ in $(seq 100); do
		inner=$(cat "/proc/$launcher/task/$launcher/children" 2>/dev/null || true)
		inner=${inner%% *}
		[[ -n $inner ]] && break
		[[ -d /proc/$launcher ]] || break
		sleep 0.01
	done
	rc=0
	wait "$launcher" || rc=$?
	if ((rc != 0)); then
		echo "| $s | | the scenario failed (exit $rc); its last lines follow the table | |"
		tail -5 "$work/stderr" >>"$work/failures"
	fi
	inner=
done
if [[ -s $work/failures ]]; then
	echo
	cat "$work/failures"
fi
