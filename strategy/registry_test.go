package strategy_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/strategy"
	_ "github.com/daemonkit/daemonkit/strategy/nohup"
	_ "github.com/daemonkit/daemonkit/strategy/reexec"
	_ "github.com/daemonkit/daemonkit/strategy/setsid"
)

func newNothing() strategy.Strategy { return nil }

// registerOnce registers d unless a run of the same test (go test -count=2) did.
func registerOnce(d strategy.Descriptor) {
	if _, err := strategy.Lookup(d.Name); err != nil {
		strategy.Register(d)
	}
}

func TestRegisterPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    strategy.Descriptor
	}{
		{"empty name", strategy.Descriptor{New: newNothing}},
		{"nil constructor", strategy.Descriptor{Name: "test-nil-new"}},
		{"duplicate", strategy.Descriptor{Name: "reexec", New: newNothing}},
		{"comma", strategy.Descriptor{Name: "a,b", New: newNothing}},
		{"space", strategy.Descriptor{Name: "double fork", New: newNothing}},
		{"variable", strategy.Descriptor{Name: "${strategies}", New: newNothing}},
		{"uppercase", strategy.Descriptor{Name: "Setsid", New: newNothing}},
		{"empty part", strategy.Descriptor{Name: "setsid,", New: newNothing}},
		{"leading digit", strategy.Descriptor{Name: "2fork", New: newNothing}},
		{"leading dash", strategy.Descriptor{Name: "-fork", New: newNothing}},
		{"non-ASCII", strategy.Descriptor{Name: "förk", New: newNothing}},
		{"summary of two lines", strategy.Descriptor{Name: "test-two-lines", Summary: "fork\nand fork", New: newNothing}},
		{"summary with a tab", strategy.Descriptor{Name: "test-tab", Summary: "fork\tthen", New: newNothing}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%+v) did not panic", tc.d)
				}
			}()
			strategy.Register(tc.d)
		})
	}
	if _, err := strategy.Lookup("test-nil-new"); !errors.Is(err, strategy.ErrUnknown) {
		t.Errorf("a refused registration was kept: %v", err)
	}
	for _, name := range []string{"a,b", "double fork", "${strategies}", "Setsid", "setsid,", "2fork", "-fork", "förk", "test-two-lines", "test-tab"} {
		if slices.Contains(strategy.Names(), name) {
			t.Errorf("a refused name was kept: %q", name)
		}
	}
}

// TestRegisterAcceptsGoodNames: the names daemonkit ships (registered by this test's
// imports) and a few more keep the rule.
func TestRegisterAcceptsGoodNames(t *testing.T) {
	for _, name := range strategy.OwnNames {
		if _, err := strategy.Lookup(name); err != nil {
			t.Errorf("daemonkit's own %q is not registered by its package: %v", name, err)
		}
	}
	for _, name := range []string{"test-double-fork", "test2", "t"} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Register(%q) panicked: %v", name, r)
				}
			}()
			registerOnce(strategy.Descriptor{Name: name, New: newNothing})
		}()
	}
}

// TestNilFromNew: a strategy whose New returns nil gets, from Lookup, a New whose Start
// says so, naming it, rather than a nil that crashes its caller.
func TestNilFromNew(t *testing.T) {
	registerOnce(strategy.Descriptor{Name: "test-returns-nil", New: newNothing})
	d, err := strategy.Lookup("test-returns-nil")
	if err != nil {
		t.Fatal(err)
	}
	s := d.New()
	if s == nil {
		t.Fatal("New() = nil")
	}
	_, err = s.Start(strategy.Spec{}, strategy.Files{})
	if !errors.Is(err, strategy.ErrNilStrategy) || !strings.Contains(err.Error(), `"test-returns-nil"`) {
		t.Errorf("Start = %v, want an error naming test-returns-nil that wraps ErrNilStrategy", err)
	}
}

// nilPointerStrategy is a strategy whose New returns a typed nil.
type nilPointerStrategy struct{ name string }

func (s *nilPointerStrategy) Start(strategy.Spec, strategy.Files) (strategy.Started, error) {
	return strategy.Started{}, errors.New(s.name) // reads through the pointer
}

// TestTypedNilFromNew: a New that returns a nil pointer of a strategy type is taken as
// nil, rather than a Strategy whose Start crashes.
func TestTypedNilFromNew(t *testing.T) {
	registerOnce(strategy.Descriptor{Name: "test-typed-nil", New: func() strategy.Strategy { return (*nilPointerStrategy)(nil) }})
	d, err := strategy.Lookup("test-typed-nil")
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.New().Start(strategy.Spec{}, strategy.Files{})
	if !errors.Is(err, strategy.ErrNilStrategy) || !strings.Contains(err.Error(), `"test-typed-nil"`) {
		t.Errorf("Start = %v, want an error naming test-typed-nil that wraps ErrNilStrategy", err)
	}
}

// TestUnknownHint: an unknown name's error lists the known ones and, for a strategy
// daemonkit ships, names the import that is missing.
func TestUnknownHint(t *testing.T) {
	err := strategy.UnknownError("setsid", []string{"nohup", "reexec"})
	want := `unknown strategy "setsid" (known: nohup, reexec; forgotten import of github.com/daemonkit/daemonkit/strategy/setsid?)`
	if !errors.Is(err, strategy.ErrUnknown) || err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	err = strategy.UnknownError("mine", []string{"reexec"})
	if !errors.Is(err, strategy.ErrUnknown) || !strings.Contains(err.Error(), "forgotten import of the package that registers it?") {
		t.Errorf("got %q", err)
	}
}

func TestNamesSorted(t *testing.T) {
	names := strategy.Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names() = %q, not sorted", names)
	}
	for _, want := range []string{"nohup", "reexec", "setsid"} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() = %q, lacks %q", names, want)
		}
	}
	all := strategy.All()
	if len(all) != len(names) {
		t.Fatalf("All() has %d descriptors, Names() %d", len(all), len(names))
	}
	for i, d := range all {
		if d.Name != names[i] {
			t.Errorf("All()[%d] = %q, want %q", i, d.Name, names[i])
		}
		if d.New() == nil {
			t.Errorf("%s: New() returned nil", d.Name)
		}
	}
}

func TestLookup(t *testing.T) {
	d, err := strategy.Lookup("reexec")
	if err != nil || d.Name != "reexec" {
		t.Fatalf("Lookup(reexec) = %+v, %v", d, err)
	}
	_, err = strategy.Lookup("fork-bomb")
	if !errors.Is(err, strategy.ErrUnknown) {
		t.Fatalf("Lookup(unknown) = %v, want ErrUnknown", err)
	}
	for _, name := range strategy.Names() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list %q", err, name)
		}
	}
}

// TestRegisterTwiceSaysWhy: registering a name twice panics naming the name and what to
// do: for one of daemonkit's own, that its package registers it when imported (a program
// that also calls Register for it, as it would a database/sql driver of its own, learns that
// the blank import was all it needed); for another, that a second strategy needs a name of
// its own.
func TestRegisterTwiceSaysWhy(t *testing.T) {
	registerOnce(strategy.Descriptor{Name: "test-twice", New: newNothing})
	for name, want := range map[string][]string{
		"setsid":     {`"setsid"`, "github.com/daemonkit/daemonkit/strategy/setsid registers it when imported", "blank import"},
		"test-twice": {`"test-twice"`, "another name"},
	} {
		said := func() (said string) {
			defer func() { said = fmt.Sprint(recover()) }()
			strategy.Register(strategy.Descriptor{Name: name, New: newNothing})
			return ""
		}()
		for _, w := range want {
			if !strings.Contains(said, w) {
				t.Errorf("Register(%q) a second time panics with %q; want it to say %q", name, said, w)
			}
		}
	}
}
