package strategy

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// ErrUnknown is returned by Lookup for a name nobody registered.
var ErrUnknown = errors.New("unknown strategy")

// ErrNilStrategy is wrapped by the error of the Start of a strategy whose Descriptor.New
// returned nil, and by launcher.Launch's when it is given a nil Strategy: a programming
// error, reported rather than left to crash.
var ErrNilStrategy = errors.New("nil strategy")

// ownPackage is the import path under which daemonkit's own strategies live, one package
// each, named after the strategy.
const ownPackage = "github.com/daemonkit/daemonkit/strategy/"

// ownNames are the strategies daemonkit ships, each registered by the package ownPackage+NAME:
// for these, an unknown-strategy error names the import that is missing.
var ownNames = [...]string{"nohup", "reexec", "setsid"}

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
	New     func() Strategy // makes one; never returns nil
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Descriptor{}
)

// Register makes a strategy available by name. Like database/sql.Register, it panics on
// a programming error: a nil constructor, a name registered twice, a Summary of more than
// one line (a newline or another control character), or a name that breaks the rule. The rule: a name is a lowercase ASCII letter followed by lowercase letters,
// digits and '-' ("reexec", "setsid", "nohup", "double-fork"), so that it is one word on a
// command line, in an environment variable and in Kong's comma-separated enum.
//
// A Descriptor that Lookup and All return has a New that never returns nil: if d.New does
// (or returns a nil pointer), that Strategy's Start returns an error naming d.Name that
// wraps ErrNilStrategy.
func Register(d Descriptor) {
	if err := checkName(d.Name); err != nil {
		panic("strategy: Register: " + err.Error())
	}
	if d.New == nil {
		panic("strategy: Register of " + d.Name + " with a nil constructor")
	}
	if i := strings.IndexFunc(d.Summary, unicode.IsControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(d.Summary[i:])
		panic(fmt.Sprintf("strategy: Register of %s with a control character in its Summary (%q at byte %d): it is one line of 'strategies'", d.Name, r, i))
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[d.Name]; dup {
		panic(twiceMessage(d.Name))
	}
	registry[d.Name] = d.neverNil()
}

// twiceMessage is Register's panic for a name registered already, with what to do.
func twiceMessage(name string) string {
	for _, own := range ownNames {
		if name == own {
			return fmt.Sprintf("strategy: Register called twice for %q: package %s%s registers it when imported, so a blank import of it is all a program needs; a strategy of your own needs another name", name, ownPackage, name)
		}
	}
	return fmt.Sprintf("strategy: Register called twice for %q: a strategy's package registers it once, in its init; a second strategy needs another name", name)
}

// checkName says why name breaks Register's rule, or nil if it keeps it.
func checkName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if c := name[0]; c < 'a' || c > 'z' {
		return fmt.Errorf("name %q does not start with a lowercase letter (a-z)", name)
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("name %q has %q: only lowercase letters, digits and '-' are allowed", name, rune(c))
		}
	}
	return nil
}

// neverNil is d with a New that returns, in place of nil (or a nil pointer), a Strategy
// that says so.
func (d Descriptor) neverNil() Descriptor {
	newStrategy, name := d.New, d.Name
	d.New = func() Strategy {
		if s := newStrategy(); s != nil && !isNilPointer(s) {
			return s
		}
		return nilStrategy(name)
	}
	return d
}

// isNilPointer says whether s holds a nil pointer: a typed nil (return (*T)(nil)), which
// is not == nil but would crash the first method that reads through it.
func isNilPointer(s Strategy) bool {
	v := reflect.ValueOf(s)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// nilStrategy stands for the nil that the Descriptor.New of the strategy it names returned.
type nilStrategy string

// Start starts nothing and says why.
func (s nilStrategy) Start(Spec, Files) (Started, error) {
	return Started{}, fmt.Errorf("strategy %q: %w: its Descriptor.New returned nil", string(s), ErrNilStrategy)
}

// Lookup returns the strategy registered under name, or an error wrapping ErrUnknown that
// lists the known names and the import that is likely missing: "forgotten import of
// github.com/daemonkit/daemonkit/strategy/setsid?" for a strategy daemonkit ships.
func Lookup(name string) (Descriptor, error) {
	registryMu.RLock()
	d, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return Descriptor{}, unknownError(name, Names())
	}
	return d, nil
}

// unknownError is Lookup's error for a name that is not among known: the one place that
// words it.
func unknownError(name string, known []string) error {
	hint := "forgotten import of the package that registers it?"
	for _, own := range ownNames {
		if name == own {
			hint = "forgotten import of " + ownPackage + name + "?"
		}
	}
	return fmt.Errorf("%w %q (known: %s; %s)", ErrUnknown, name, strings.Join(known, ", "), hint)
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
