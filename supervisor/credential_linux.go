package supervisor

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// checkCredential checks in /proc/PID/status that the program runs as cred says: every uid
// (real, effective, saved, filesystem) is cred's uid, every gid its gid, and its
// supplementary groups are cred's groups. It is called once os.StartProcess has returned,
// which it does only after the program was executed.
func checkCredential(pid int, cred *syscall.Credential) error {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return fmt.Errorf("check the program's user: %w", err)
	}
	want := strconv.FormatUint(uint64(cred.Uid), 10)
	wantGid := strconv.FormatUint(uint64(cred.Gid), 10)
	var groups []string
	for _, g := range cred.Groups {
		groups = append(groups, strconv.FormatUint(uint64(g), 10))
	}
	slices.Sort(groups)
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		switch k {
		case "Uid":
			if len(f) != 4 || f[0] != want || f[1] != want || f[2] != want || f[3] != want {
				return fmt.Errorf("the program runs with uids %v, not %s: refusing it", f, want)
			}
		case "Gid":
			if len(f) != 4 || f[0] != wantGid || f[1] != wantGid || f[2] != wantGid || f[3] != wantGid {
				return fmt.Errorf("the program runs with gids %v, not %s: refusing it", f, wantGid)
			}
		case "Groups":
			slices.Sort(f)
			if !slices.Equal(f, groups) {
				return fmt.Errorf("the program runs with groups %v, not %v: refusing it", f, groups)
			}
		}
	}
	return nil
}
