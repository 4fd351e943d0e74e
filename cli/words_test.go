package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestWordsJSON: words go through JSON byte for byte, UTF-8 or not; a UTF-8 word is a
// plain JSON string, so a record written before words read as they did.
func TestWordsJSON(t *testing.T) {
	for _, w := range []words{nil, {}, {"plain", ""}, {"a\xffb", "ok", "\xc3", "é"}} {
		b, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		var back words
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q: %s: %v", w, b, err)
		}
		if !slices.Equal(back, w) || (w == nil) != (back == nil) {
			t.Errorf("%q went through JSON (%s) as %q", w, b, back)
		}
	}
	if b, _ := json.Marshal(words{"plain", "é"}); string(b) != `["plain","é"]` {
		t.Errorf("UTF-8 words: %s, want a plain array of strings", b)
	}
	var old words
	if err := json.Unmarshal([]byte(`["sleep","1000"]`), &old); err != nil || !slices.Equal(old, words{"sleep", "1000"}) {
		t.Errorf("a []string's JSON: %q, %v", old, err)
	}
}

// TestNotUTF8Args: a word before -- that is not UTF-8 is refused, but --env's value and
// what follows --.
func TestNotUTF8Args(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"start", "-d", "--", "prog", "a\xff"}, true},
		{[]string{"start", "--env", "V=a\xff", "--env=W=\xfe", "--", "prog"}, true},
		{[]string{"start", "--log", "/tmp/a\xff.log"}, false},
		{[]string{"start", "--name=a\xff"}, false},
	} {
		if err := notUTF8Args(tc.args); (err == nil) != tc.ok {
			t.Errorf("notUTF8Args(%q) = %v, want ok %v", tc.args, err, tc.ok)
		}
	}
}

// TestNotUTF8: a string of the request that JSON would change is named; words are not.
func TestNotUTF8(t *testing.T) {
	req := request{Cwd: "/tmp/d\xff", Args: words{"a\xff"}}
	err := notUTF8(req)
	if err == nil || !strings.Contains(err.Error(), `the request's cwd, "/tmp/d\xff", holds bytes that are not UTF-8`) {
		t.Errorf("notUTF8(Cwd not UTF-8) = %v", err)
	}
	req.Cwd = "/tmp/d"
	req.Supervise = &superviseRequest{Command: words{"prog", "\xfe"}}
	req.Env = words{"V=\xfd"}
	if err := notUTF8(req); err != nil {
		t.Errorf("notUTF8(only words not UTF-8) = %v, want nil", err)
	}
	req.Supervise.ChildPIDFile = "/run/\xfc.pid"
	if err := notUTF8(req); err == nil || !strings.Contains(err.Error(), "ChildPIDFile") {
		t.Errorf("notUTF8(ChildPIDFile not UTF-8) = %v", err)
	}
}
