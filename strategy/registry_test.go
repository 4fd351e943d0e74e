package strategy_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/daemonkit/daemonkit/strategy"
	_ "github.com/daemonkit/daemonkit/strategy/nohup"
	_ "github.com/daemonkit/daemonkit/strategy/reexec"
	_ "github.com/daemonkit/daemonkit/strategy/setsid"
)

func newNothing() strategy.Strategy { return nil }

func TestRegisterPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    strategy.Descriptor
	}{
		{"empty name", strategy.Descriptor{New: newNothing}},
		{"nil constructor", strategy.Descriptor{Name: "test-nil-new"}},
		{"duplicate", strategy.Descriptor{Name: "reexec", New: newNothing}},
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
