package cli

import (
	"strings"

	"github.com/alecthomas/kong"
)

// newParser is kong.New, less the cost of Kong's interpolation of help texts that hold
// nothing to interpolate. Kong runs a regular expression over every help text of the
// grammar as it builds it, whether or not the text holds a "$" (and copies the variables
// for each that matches at all), which costs a command about half a millisecond for the
// help of flags that only --help prints. A help text without "$" is held back from it,
// as "", and put back once the grammar is built: each is exactly what Kong would have
// made of it, since interpolation changes only "$" and "${...}".
func newParser(grammar any, opts ...kong.Option) (*kong.Kong, error) {
	var held []heldHelp
	opts = append(opts, kong.PostBuild(func(k *kong.Kong) error {
		held = holdHelp(k.Model.Node, held)
		return nil
	}))
	k, err := kong.New(grammar, opts...)
	for _, h := range held {
		*h.at = h.text
	}
	return k, err
}

// heldHelp is one help text newParser held back, and where it goes back.
type heldHelp struct {
	at   *string
	text string
}

// holdHelp empties each help text of node and what is under it that holds no "$",
// appending where it was and what it said to held.
func holdHelp(node *kong.Node, held []heldHelp) []heldHelp {
	hold := func(at *string) {
		if *at != "" && !strings.Contains(*at, "$") {
			held = append(held, heldHelp{at, *at})
			*at = ""
		}
	}
	hold(&node.Help)
	for _, f := range node.Flags {
		hold(&f.Help)
	}
	for _, p := range node.Positional {
		hold(&p.Help)
	}
	for _, child := range node.Children {
		held = holdHelp(child, held)
	}
	return held
}
