package strategy

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// ErrUnknown is returned by Lookup for a name nobody registered.
var ErrUnknown = errors.New("unknown strategy")

// Traits are what a strategy leaves behind, as observable in /proc/PID/stat; the table in
// docs/strategies.md lists them and strategytest.CheckTraits checks them.
type Traits struct {
	NewSession    bool   `json:"new_session"`    // the daemon's session differs from the caller's
	SessionLeader bool   `json:"session_leader"` // the daemon leads its session (sid == pid)
	KeepsTerminal bool   `json:"keeps_terminal"` // the daemon keeps the caller's controlling terminal
	IgnoresHUP    bool   `json:"ignores_hup"`    // the daemon ignores SIGHUP, first thing (reload is SIGUSR1), as nohup does
	DefaultDir    string `json:"default_dir"`    // working directory without --workdir; "" is the caller's
}

// SIGHUP describes what the daemon does on SIGHUP, for tables.
func (t Traits) SIGHUP() string {
	if t.IgnoresHUP {
		return "ignored"
	}
	return "reload"
}

// Descriptor describes one strategy to the registry.
type Descriptor struct {
	Name    string          // what --strategy takes
	Summary string          // one line for `daemonkit strategies`
	Traits  Traits          // what it leaves behind
	New     func() Strategy // makes one
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Descriptor{}
)

// Register makes a strategy available by name. Like database/sql.Register, it panics on
// an empty name, a nil constructor or a name registered twice: those are programming errors.
func Register(d Descriptor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if d.Name == "" {
		panic("strategy: Register with an empty name")
	}
	if d.New == nil {
		panic("strategy: Register of " + d.Name + " with a nil constructor")
	}
	if _, dup := registry[d.Name]; dup {
		panic("strategy: Register called twice for " + d.Name)
	}
	registry[d.Name] = d
}

// Lookup returns the strategy registered under name, or an error wrapping ErrUnknown that
// lists the known names.
func Lookup(name string) (Descriptor, error) {
	registryMu.RLock()
	d, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return Descriptor{}, fmt.Errorf("%w %q (known: %s; forgotten import?)", ErrUnknown, name, strings.Join(Names(), ", "))
	}
	return d, nil
}

// Names returns the registered names, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// All returns every registered descriptor, sorted by name.
func All() []Descriptor {
	names := Names()
	registryMu.RLock()
	defer registryMu.RUnlock()
	all := make([]Descriptor, 0, len(names))
	for _, name := range names {
		all = append(all, registry[name])
	}
	return all
}
