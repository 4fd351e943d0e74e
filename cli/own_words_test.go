package cli

import "testing"

func TestOwnWordsBeforeStart(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"start", "-d", "--name", "x"}, false},
		{[]string{"--state-dir", "/s", "--log-level=debug", "start", "-d"}, false},
		{[]string{"-greeting", "hi", "start", "-d"}, true},
		{[]string{"--state-dir", "/s", "-config", "app.conf", "start"}, true},
		{[]string{"daemon", "start"}, false},
		{[]string{"daemon", "--config", "x", "start"}, true},
		{[]string{"--", "start"}, false},
	} {
		if got := ownWordsBeforeStart(tc.args); got != tc.want {
			t.Errorf("ownWordsBeforeStart(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
