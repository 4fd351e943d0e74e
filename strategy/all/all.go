// Package all registers every strategy daemonkit ships: a program that offers them all
// needs one blank import, _ "github.com/daemonkit/daemonkit/strategy/all".
package all

import (
	// The strategies, one blank import each.
	_ "github.com/daemonkit/daemonkit/strategy/nohup"
	_ "github.com/daemonkit/daemonkit/strategy/reexec"
	_ "github.com/daemonkit/daemonkit/strategy/setsid"
)
