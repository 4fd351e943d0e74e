package systemdtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// A cgroupBind is a cgroup made for one boot, in one hierarchy systemd tracks its units in,
// and where it goes in the namespace's /sys/fs/cgroup.
type cgroupBind struct {
	name string // its entry there ("unified", "systemd"); "" for a cgroup2 that is /sys/fs/cgroup itself
	dir  string // the cgroup, on the host
}

// cgroupPrefix starts the name of every cgroup a boot makes: cgroupPrefix + "<test pid>-<n>".
const cgroupPrefix = "systemdtest-"

var cgroupSeq atomic.Int64

// errNoCgroups says this machine has no cgroup hierarchy that systemd could use.
var errNoCgroups = errors.New("no cgroup2 or name=systemd hierarchy under /sys/fs/cgroup")

// makeCgroups makes the boot's cgroups: one in the cgroup2 hierarchy and one in the v1
// name=systemd hierarchy, whichever the host has under /sys/fs/cgroup, each below the cgroup
// this test process is in. Other v1 hierarchies (memory, cpu, ...) are not given to the
// namespace, so it stays in the test's cgroups there.
func makeCgroups(mounts []mount) ([]cgroupBind, error) {
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	// The last mount at a point is the one on top.
	top := map[string]mount{}
	var order []string
	for _, m := range mounts {
		if m.point != "/sys/fs/cgroup" && filepath.Dir(m.point) != "/sys/fs/cgroup" {
			continue
		}
		if _, ok := top[m.point]; !ok {
			order = append(order, m.point)
		}
		top[m.point] = m
	}
	var binds []cgroupBind
	tag := fmt.Sprintf("%s%d-%d", cgroupPrefix, os.Getpid(), cgroupSeq.Add(1))
	for _, point := range order {
		m := top[point]
		var key string
		switch {
		case m.fstype == "cgroup2":
			key = ""
		case m.fstype == "cgroup" && hasOpt(m.superOpts, "name=systemd"):
			key = "name=systemd"
		default:
			continue
		}
		path, ok := own[key]
		if !ok {
			continue
		}
		rel, ok := strings.CutPrefix(path, strings.TrimSuffix(m.root, "/"))
		if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
			return nil, fmt.Errorf("this process's cgroup %s is outside the hierarchy mounted at %s (root %s)", path, point, m.root)
		}
		parent := filepath.Join(point, rel)
		sweepCgroups(parent)
		dir := filepath.Join(parent, tag)
		if err := os.Mkdir(dir, 0o755); err != nil {
			removeCgroups(binds)
			return nil, err
		}
		name := filepath.Base(point)
		if point == "/sys/fs/cgroup" {
			name = ""
		}
		binds = append(binds, cgroupBind{name: name, dir: dir})
	}
	if len(binds) == 0 {
		return nil, errNoCgroups
	}
	if len(binds) > 1 {
		for _, b := range binds {
			if b.name == "" {
				removeCgroups(binds)
				return nil, fmt.Errorf("a cgroup2 hierarchy at /sys/fs/cgroup and another under it")
			}
		}
	}
	return binds, nil
}

// ownCgroups reads this process's cgroups: its path in the cgroup2 hierarchy by the key "",
// and in the v1 name=systemd hierarchy by "name=systemd".
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	own := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 0::/user.slice/session-1.scope, or 1:name=systemd:/user.slice/...
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			own[""] = parts[2]
		case hasOpt(parts[1], "name=systemd"):
			own["name=systemd"] = parts[2]
		}
	}
	return own, sc.Err()
}

// removeCgroups removes the boot's cgroups and every cgroup systemd made below them, deepest
// first (cgroups are removed with rmdir, never by deleting files). A cgroup whose processes
// are still being torn down is busy for a moment: it retries until the deadline.
func removeCgroups(binds []cgroupBind) error {
	var errs []error
	for _, b := range binds {
		if err := removeCgroupTree(b.dir, time.Now().Add(cgroupDeadline)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// cgroupDeadline bounds the wait for a dead namespace's cgroups to become removable.
const cgroupDeadline = 30 * time.Second

func removeCgroupTree(dir string, deadline time.Time) error {
	if !strings.HasPrefix(filepath.Base(dir), cgroupPrefix) {
		return fmt.Errorf("remove cgroup %s: not one of the harness's", dir)
	}
	return removeCgroupBelow(dir, deadline)
}

func removeCgroupBelow(dir string, deadline time.Time) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove cgroup %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeCgroupBelow(filepath.Join(dir, e.Name()), deadline); err != nil {
				return err
			}
		}
	}
	for backoff := time.Millisecond; ; backoff = min(2*backoff, 50*time.Millisecond) {
		err := syscall.Rmdir(dir)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(backoff) // a polling step: the kernel frees it once its last task is gone
	}
}

// sweepCgroups removes what is left in parent of boots by test processes that no longer run
// (killed before their cleanup): only their empty cgroups can go, so nothing alive is touched.
func sweepCgroups(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), cgroupPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		owner, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(owner)
		if err != nil || pid <= 0 {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", owner)); err == nil {
			continue // its test process still runs (or its pid is reused): leave it be
		}
		_ = removeCgroupTree(filepath.Join(parent, e.Name()), time.Now())
	}
}
