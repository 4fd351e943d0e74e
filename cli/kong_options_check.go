package cli

// noKongOptions is the panic of kong.New (and so of kong.Must and kong.Parse) for a
// grammar that embeds Commands without KongOptions, in place of Kong's own, which names a
// variable of a tag ("undefined variable ${env_prefix}") and not what is missing.
const noKongOptions = "daemonkit: this Kong grammar embeds cli.Commands without its options: " +
	"pass cfg.KongOptions(&grammar.Commands) (the cli.Config of the program, and a pointer to the Commands the grammar embeds) " +
	"to kong.New, kong.Must or kong.Parse, before the program's own options (forgotten KongOptions?)"

// Help is the detailed help of start that Kong asks for (kong.HelpProvider): none. Kong
// asks as it builds the grammar, before it reads the tags' variables that KongOptions
// gives, so that is when a grammar that embeds Commands without KongOptions is told what
// is missing, with a panic: KongOptions, applied by kong.New before the build, marks its
// Commands.
func (c *StartCmd) Help() string {
	if !c.optioned {
		panic(noKongOptions)
	}
	return ""
}
