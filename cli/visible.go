package cli

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// visible is s as a line of stderr may show it: every control character but newline and
// tab (an escape sequence's ESC, a carriage return, NUL, a C1 control such as U+009B, CSI),
// and every byte that is not UTF-8, written as ansiQuote writes it (\x1b, \u009b, \xff),
// so that a name, path, program or argument in an error cannot move the cursor, clear or
// retitle the terminal, or hide what came before it on the line. Newlines and tabs stay:
// a message of several lines (a start's "last lines of its log") is written so, and
// nothing here can tell which of them came from what was typed. s without any is s.
func visible(s string) string { return visibleBut(s, 0) }

// visibleBut is visible(s) but for the control characters below below, which stay.
func visibleBut(s string, below rune) string {
	hide := func(r rune) bool { return r >= below && hidden(r) }
	if strings.IndexFunc(s, hide) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	writeEscaped(&b, s, hide, nil)
	return b.String()
}

// writeEscaped writes s to b: a byte that is not UTF-8 as \xNN, a rune that hide reports
// as \xNN (below U+0080) or \uNNNN, a rune that short names (short may be nil) as it
// says, and every other rune as it is.
func writeEscaped(b *strings.Builder, s string, hide func(rune) bool, short func(rune) string) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var named string
		if short != nil {
			named = short(r)
		}
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(b, `\x%02x`, s[i])
		case named != "":
			b.WriteString(named)
		case hide(r) && r < 0x80:
			fmt.Fprintf(b, `\x%02x`, r)
		case hide(r):
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
}

// hidden says whether r is a control character visible escapes.
func hidden(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }
