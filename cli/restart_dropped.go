package cli

import "slices"

// laterSuperviseFlags are start's flags for a supervised program that a daemonkit built
// before 2026-11-27 07:00 UTC does not know. A restart by such a binary (a rollback, while
// the daemon runs) starts the program again without them: the request it sends and the
// record its daemon writes lose them, and only the command line start was given
// (request.Args) keeps them.
var laterSuperviseFlags = []struct {
	flag  string
	field func(*SuperviseFlags) *string
}{
	{"--reopen-signal", func(f *SuperviseFlags) *string { return &f.ReopenSignal }},
	{"--stop-signal", func(f *SuperviseFlags) *string { return &f.StopSignal }},
	{"--reload-signal", func(f *SuperviseFlags) *string { return &f.ReloadSignal }},
	{"--reload-check", func(f *SuperviseFlags) *string { return &f.ReloadCheck }},
}

// restoreDropped gives req's supervised program back each of laterSuperviseFlags that
// start's command line (Args, up to its --) gave and the request lacks, so that restart
// starts it as start was told to, and returns them as given ("--stop-signal INT"), or
// nil. A value the request has is never changed: an upgrade or a start wrote it.
func (req *request) restoreDropped() []string {
	if req.Supervise == nil {
		return nil
	}
	var restored []string
	for _, f := range laterSuperviseFlags {
		field := f.field(&req.Supervise.SuperviseFlags)
		if *field != "" {
			continue
		}
		if v, ok := flagValue(req.Args, f.flag); ok && v != "" {
			*field = v
			restored = append(restored, f.flag+" "+shellJoin([]string{v}))
		}
	}
	return restored
}

// flagValue is the last value args give the long flag name (lastFlagValue), before a "--"
// that ends the flags; ok is false if they give none, or if no "--" ends them (then a
// word after the program's name may be its own).
func flagValue(args []string, name string) (value string, ok bool) {
	if !slices.Contains(args, "--") {
		return "", false
	}
	return lastFlagValue(args, name)
}
