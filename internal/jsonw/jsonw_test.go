package jsonw

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendString(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "hello", `"hello"`},
		{"quotes and backslash", `a"b\c`, `"a\"b\\c"`},
		{"control bytes", "\a\x00\n\t\r", `"\u0007\u0000\n\t\r"`},
		{"invalid utf8", "a\xffb", `"a\ufffdb"`},
		{"unicode", "é😀", `"é😀"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := string(AppendString(nil, c.in)); got != c.want {
				t.Fatalf("got %s want %s", got, c.want)
			}
		})
	}
}

// FuzzAppendString: the output is always valid JSON that decodes to the input (with invalid
// UTF-8 replaced by U+FFFD).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "x", "\x00", "a\"b", "\xff\xfe", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q → %s: %v", s, out, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); utf8.ValidString(s) && back != want {
			t.Fatalf("%q → %q", s, back)
		}
	})
}
