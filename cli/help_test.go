package cli

import "testing"

// TestProgramFlagNoteJoins: the note on a program's own flag reads as a sentence of its
// own after the flag's help, whether that help ends with a full stop or not ("addr
// ($APP_LISTEN)" made "addr ($APP_LISTEN) Read by start ..."), or is empty.
func TestProgramFlagNoteJoins(t *testing.T) {
	const rest = "Read by start and unit of app's own work (without -- CMD); restart refuses a value other than the one it was started with (it starts an instance as it was started); the other commands ignore it."
	for help, want := range map[string]string{
		"The HTTP address.":  "The HTTP address. " + rest,
		"addr (APP_LISTEN)":  "addr (APP_LISTEN). " + rest,
		"Is it on?":          "Is it on? " + rest,
		"addr (default x). ": "addr (default x). " + rest,
		"":                   rest,
	} {
		if got := help + programFlagNote("app", help); got != want {
			t.Errorf("help %q with its note:\n%q, want\n%q", help, got, want)
		}
	}
}
