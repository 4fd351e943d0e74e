package cli

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseEnvFile checks the --env-file parser on any input: it never panics; on success
// every entry is KEY=VALUE with a key of letters, digits and _ not starting with a digit,
// there is one entry per line that is neither blank nor a comment, no entry spans lines,
// and parsing is deterministic; on failure it returns nothing and its error names the file.
// And a file of only comments and blank lines (made here from the same input, every line
// commented out or blanked) gives nothing, without error.
func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{
		"A=1\n", "# comment\n\nB=2\n", "export C=3\n", `D="quoted value"` + "\n", "E='single'\n",
		"F=\"unclosed\n", "=novalue\n", "1X=digit\n", "G\n", "H = spaced \r\n", "I=a=b=c\n",
		"J=\"\n", "K=''\n", "export  L=1\n", "#only\n  # indented\n\t\n", "M=\x00\n", "N=\xff\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		kvs, err := parseEnvFile("fuzz.env", bytes.NewReader(b))
		if err != nil {
			if kvs != nil {
				t.Fatalf("parseEnvFile(%q) = %q with error %v; want nothing", b, kvs, err)
			}
			if !strings.Contains(err.Error(), "fuzz.env") {
				t.Fatalf("parseEnvFile(%q): error %q does not name the file", b, err)
			}
		} else {
			if n := entryLines(b); len(kvs) != n {
				t.Fatalf("parseEnvFile(%q) = %d entries %q; the input has %d KEY=VALUE lines", b, len(kvs), kvs, n)
			}
			for _, kv := range kvs {
				k, _, ok := strings.Cut(kv, "=")
				if !ok || !goodKey(k) {
					t.Fatalf("parseEnvFile(%q) returned %q: not KEY=VALUE with a valid key", b, kv)
				}
				if strings.ContainsAny(kv, "\n") {
					t.Fatalf("parseEnvFile(%q) returned %q, which spans lines", b, kv)
				}
				if strings.ContainsRune(kv, 0) {
					t.Fatalf("parseEnvFile(%q) returned %q, which holds a NUL no environment can carry", b, kv)
				}
			}
			again, err2 := parseEnvFile("fuzz.env", bytes.NewReader(b))
			if err2 != nil || !reflect.DeepEqual(again, kvs) {
				t.Fatalf("parseEnvFile(%q) is not deterministic: %q then %q, %v", b, kvs, again, err2)
			}
		}

		quiet := commentedOut(b)
		if kvs, err := parseEnvFile("quiet.env", bytes.NewReader(quiet)); err != nil || len(kvs) != 0 {
			if err != nil && strings.Contains(err.Error(), "token too long") {
				return // a line longer than bufio.Scanner's limit is an error, whatever it holds
			}
			t.Fatalf("parseEnvFile(%q), only comments and blank lines, = %q, %v; want nothing", quiet, kvs, err)
		}
	})
}

// goodKey is the key rule, written out independently of validKey.
func goodKey(k string) bool {
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// entryLines counts the lines of b that are neither blank nor comments, as a reader of the
// file would: lines end at \n (a \r before it is part of the line), and space around a line
// does not count, nor a byte order mark at the start of the file.
func entryLines(b []byte) int {
	n := 0
	for i, line := range strings.Split(string(b), "\n") {
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff") // a byte order mark starts no entry
		}
		line = strings.TrimSpace(line)
		if line != "" && line[0] != '#' {
			n++
		}
	}
	return n
}

// commentedOut turns every line of b into a comment, or, for every third line, into
// whitespace alone: a file with nothing to set.
func commentedOut(b []byte) []byte {
	lines := strings.Split(string(b), "\n")
	for i, line := range lines {
		switch {
		case i%3 == 2:
			lines[i] = strings.Map(func(r rune) rune {
				if r == '\t' {
					return r
				}
				return ' '
			}, line)
		case i%2 == 1:
			lines[i] = "  #" + line
		default:
			lines[i] = "#" + line
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

// TestEnvFileNUL: a NUL in a value is refused with the file and line, before exec would
// refuse it without either.
func TestEnvFileNUL(t *testing.T) {
	_, err := parseEnvFile("app.env", strings.NewReader("A=1\nB=x\x00y\n"))
	if err == nil || !strings.Contains(err.Error(), "env file app.env:2: the value of B holds a NUL byte") {
		t.Fatalf("parseEnvFile with a NUL in line 2 = %v; want an error naming app.env:2 and B", err)
	}
}

// TestEnvFileLongLine: a value of 100 KiB (a certificate, a JSON document) is read whole,
// and a line past the limit is refused naming the file and the line.
func TestEnvFileLongLine(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	kvs, err := parseEnvFile("app.env", strings.NewReader("A=1\nB="+long+"\n"))
	if err != nil || len(kvs) != 2 || kvs[1] != "B="+long {
		t.Fatalf("parseEnvFile with a 100 KiB value = %d entries, %v; want it whole", len(kvs), err)
	}
	_, err = parseEnvFile("app.env", strings.NewReader("A=1\nB=1\nC="+strings.Repeat("x", maxEnvLine)+"\n"))
	if err == nil || !strings.Contains(err.Error(), "env file app.env:3: a line longer than 4 MiB") {
		t.Fatalf("parseEnvFile with a line past the limit = %v; want an error naming app.env:3", err)
	}
}

// TestParseEnvFileQuotes: a value in matching quotes, double or single, loses them; a
// value whose opening quote is not closed is an error that names the file, the line and
// the key, never a value cut short.
func TestParseEnvFileQuotes(t *testing.T) {
	for in, want := range map[string]string{
		`A="b c"`: "A=b c",
		`A='b'`:   "A=b",
		`A=b"`:    `A=b"`,
	} {
		kvs, err := parseEnvFile("q.env", strings.NewReader(in))
		if err != nil || len(kvs) != 1 || kvs[0] != want {
			t.Errorf("parseEnvFile(%q) = %q, %v; want [%q]", in, kvs, err, want)
		}
	}
	for _, in := range []string{`A="b c`, `A='b"`, "X=1\nA=\"bc"} {
		kvs, err := parseEnvFile("q.env", strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), "the value of A has no closing") || !strings.HasPrefix(err.Error(), "env file q.env:") {
			t.Errorf("parseEnvFile(%q) = %q, %v; want the error that its quote is not closed", in, kvs, err)
		}
	}
}

// TestParseEnvFileHabits: what files written for other tools hold is read, or refused
// saying what to change. A byte order mark at the start (Notepad writes one) is no part of
// the first key; a value continued on the next line with a backslash, as systemd's
// EnvironmentFile= takes it, and a comment started with ;, are refused by their line,
// saying why.
func TestParseEnvFileHabits(t *testing.T) {
	kvs, err := parseEnvFile("bom.env", strings.NewReader("\ufeffA=1\r\nB=2\r\n"))
	if err != nil || !reflect.DeepEqual(kvs, []string{"A=1", "B=2"}) {
		t.Errorf("parseEnvFile with a byte order mark = %q, %v; want [A=1 B=2]", kvs, err)
	}
	if _, err := parseEnvFile("bom.env", strings.NewReader("A=1\n\ufeffB=2\n")); err == nil {
		t.Errorf("parseEnvFile with a byte order mark on line 2: no error; want one (it is no file's start)")
	}
	for in, want := range map[string]string{
		"A=1\nOPTS=-Xmx1g \\\n  -Dx=y\n": `env file h.env:3: "-Dx=y" is not KEY=VALUE: line 2 ends in \, but a value does not go on to the next line here; put it on one line`,
		"; a comment\nA=1\n":             `env file h.env:1: "; a comment" is not KEY=VALUE: comments start with #`,
		"A=1\nB\n":                       `env file h.env:2: "B" is not KEY=VALUE`,
	} {
		_, err := parseEnvFile("h.env", strings.NewReader(in))
		if err == nil || err.Error() != want {
			t.Errorf("parseEnvFile(%q) = %v; want %s", in, err, want)
		}
	}
}
