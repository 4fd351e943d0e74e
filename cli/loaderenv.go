package cli

import (
	"os"
	"strings"
)

// loaderVariables are the variables that make the dynamic loader or the C library load
// code, or read files, of the environment's choosing when a process is exec'd: those glibc
// drops for a setuid program (its "unsecure" list). A daemonkit binary built with cgo (a
// plain go build where a C compiler is found) is dynamically linked, and they apply to it.
var loaderVariables = []string{"GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN",
	"LOCPATH", "MALLOC_TRACE", "NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR", "TZDIR"}

// isLoaderVariable says whether kv (KEY=VALUE) sets one of loaderVariables, or any LD_
// variable.
func isLoaderVariable(kv string) bool {
	k, _, _ := strings.Cut(kv, "=")
	if strings.HasPrefix(k, "LD_") {
		return true
	}
	for _, v := range loaderVariables {
		if k == v {
			return true
		}
	}
	return false
}

// splitLoaderEnv takes out of env (a copy), the environment of a work that runs as another
// user (--user), the loader's variables set on top of the inherited environment (by an env
// file or --env: set lists what was, KEY=VALUE or KEY, as environOver's under does). The
// daemon and the strategy's intermediate run with the rest, and the request carries them
// (request.LoaderEnv) to the daemon, which puts them back into its environment once it
// runs, for what it starts, as that user. So daemonkit's own processes, which start as
// the caller (root), never load what that user could choose: an env file of theirs
// (LD_PRELOAD=...) would otherwise run their code as root. The inherited ones (the
// caller's: an LD_LIBRARY_PATH a cgo build of the program needs) stay. A work that runs
// as the caller keeps them all: its env files are the caller's or root's (trustEnvFile).
func splitLoaderEnv(env, set []string) (loader, rest []string) {
	onTop := map[string]bool{}
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		onTop[k] = true
	}
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); onTop[k] && isLoaderVariable(kv) {
			loader = append(loader, kv)
		} else {
			rest = append(rest, kv)
		}
	}
	return loader, rest
}

// restoreLoaderEnv puts the loader's variables the request carries back into this
// process's environment, where the work, and everything it starts, inherits them.
func (req *request) restoreLoaderEnv() {
	for _, kv := range req.LoaderEnv {
		k, v, _ := strings.Cut(kv, "=")
		_ = os.Setenv(k, v)
	}
	req.LoaderEnv = nil
}
