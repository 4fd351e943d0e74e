// Package limits keeps a process's resource limits (ulimit), so that a daemon started
// again later, from another shell (restart, typed anywhere, cron's), gets those its first
// start was given, as a unit's LimitNOFILE= and LimitCORE= stay the same at every start.
package limits

import (
	"errors"
	"fmt"
	"strconv"
)

// Limit is one resource limit of a process: its soft and hard values (Infinity for
// unlimited). Soft is nil where it cannot be told: the open-files one, which the Go
// runtime raises to the hard one in its own process as it starts (see Current).
type Limit struct {
	Name string  `json:"name"` // as prlimit(1) names it: NOFILE, CORE, STACK, ...
	Soft *uint64 `json:"soft,omitempty"`
	Hard uint64  `json:"hard"`
}

// Infinity is RLIM_INFINITY, unlimited, as a value of Soft and Hard.
const Infinity = ^uint64(0)

// Unreachable says, of each of ls that this process could not give itself (a hard limit
// above its own, which only a privileged process may raise), what it was and what this
// process has: "ulimit -Hc (RLIMIT_CORE): unlimited, here 0 bytes". Empty for a process
// with CAP_SYS_RESOURCE (root, outside a container that took it away), which may raise
// them.
func Unreachable(ls []Limit) []string {
	var out []string
	for _, l := range ls {
		r, ok := byName(l.Name)
		if !ok {
			continue
		}
		_, hard, err := get(r)
		if err != nil || l.Hard <= hard || privileged() {
			continue
		}
		out = append(out, fmt.Sprintf("ulimit -H%s (RLIMIT_%s): %s, here %s", r.flag, r.name, r.format(l.Hard), r.format(hard)))
	}
	return out
}

// Apply gives this process each limit of ls that it does not have already, so that what
// it starts afterwards inherits them; it raises a hard limit only where it may (root),
// and then gives the soft one as much as the hard one it has allows. The open-files limit
// is set only where its soft value is known, and then so that processes started
// afterwards inherit it as it is (not the value the Go runtime put back in them). The
// error names each limit it could not set, and the value.
func Apply(ls []Limit) error {
	var errs []error
	for _, l := range ls {
		r, ok := byName(l.Name)
		if !ok || (l.Soft == nil && r.name == "NOFILE") {
			continue // another system's, or a soft value the record could not know
		}
		soft, hard, err := get(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		want := soft
		if l.Soft != nil {
			want = *l.Soft
		}
		if want == soft && l.Hard == hard {
			continue
		}
		if err := set(r, min(want, l.Hard), l.Hard); err != nil {
			err = fmt.Errorf("set ulimit -%s (RLIMIT_%s) to %s, hard %s: %w", r.flag, r.name, r.format(min(want, l.Hard)), r.format(l.Hard), err)
			if l.Hard > hard { // keep what may be kept: its own hard limit, as much of the soft one as that allows
				if err2 := set(r, min(want, hard), hard); err2 == nil {
					err = fmt.Errorf("%w (raising a hard limit takes CAP_SYS_RESOURCE): it has %s, hard %s", err, r.format(min(want, hard)), r.format(hard))
				}
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Format writes v as ulimit does: a number, or "unlimited".
func Format(v uint64) string {
	if v == Infinity {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}

// resource is one limit of this system: its name in prlimit(1)'s terms, ulimit's flag,
// its number, and the unit of its values, as getrlimit(2) counts them ("" for a count).
type resource struct {
	name, flag string
	num        int
	unit       string
}

// format writes v in r's unit: "102400 bytes", "unlimited".
func (r resource) format(v uint64) string {
	if v == Infinity || r.unit == "" {
		return Format(v)
	}
	return Format(v) + " " + r.unit
}

func byName(name string) (resource, bool) {
	for _, r := range resources {
		if r.name == name {
			return r, true
		}
	}
	return resource{}, false
}
