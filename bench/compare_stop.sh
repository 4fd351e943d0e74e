#!/usr/bin/env bash
# compare_stop.sh: how long stopping a daemon takes, end to end, against start-stop-daemon,
# and what starting a process of this binary costs. It is now two sections of compare.sh,
# which it runs (RUNS and REAPER work as before; see compare.sh for the rest).
set -euo pipefail
exec env ONLY="${ONLY:-stop,floor}" bash "$(dirname "${BASH_SOURCE[0]}")/compare.sh" "$@"
