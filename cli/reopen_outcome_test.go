package cli

import "testing"

// TestReopenFailedSince: reopen takes a failure its daemon recorded after it was asked
// for this reopen's, even when its text is the last one's (the same problem within the
// same second): the count says so. A record of an older daemon, which counts none, is
// told by a text that changed; a problem cleared, or as it was, is no failure of this one.
func TestReopenFailedSince(t *testing.T) {
	const same = "could not reopen it at 2026-11-28 09:00:00 (SIGUSR1): open log: is a directory; still writing to the file it had"
	for _, c := range []struct {
		name      string
		before    reopenOutcome
		now       reopenOutcome
		failedNow bool
	}{
		{"the same text, counted again", reopenOutcome{same, 1}, reopenOutcome{same, 2}, true},
		{"a first failure", reopenOutcome{}, reopenOutcome{same, 1}, true},
		{"no answer yet", reopenOutcome{same, 1}, reopenOutcome{same, 1}, false},
		{"reopened since", reopenOutcome{same, 1}, reopenOutcome{"", 1}, false},
		{"an older daemon, new text", reopenOutcome{same, 0}, reopenOutcome{same + ".", 0}, true},
		{"an older daemon, the same text", reopenOutcome{same, 0}, reopenOutcome{same, 0}, false},
	} {
		if got := c.now.failedSince(c.before); got != c.failedNow {
			t.Errorf("%s: failedSince = %v, want %v", c.name, got, c.failedNow)
		}
	}
}
