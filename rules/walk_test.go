package rules

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// sameAsForEach checks the tape against gjson on any input: the same verdict as gjson.Valid
// (for a value of any type), and on a valid container, the cursor yields what gjson's own ForEach
// does: the same members, keys, raw values, types, numbers and decoded strings.
func sameAsForEach(t *testing.T, raw string) {
	t.Helper()
	var tp tape
	if got, want := tp.build(raw), gjson.Valid(raw); got != want {
		t.Fatalf("tape.build(%q) = %v, gjson.Valid %v", raw, got, want)
	}
	if !gjson.Valid(raw) {
		return
	}
	v := gjson.Parse(raw)
	if !v.IsObject() && !v.IsArray() {
		return
	}
	type member struct {
		key, raw, text string
		typ            gjson.Type
		num            float64
	}
	var want []member
	v.ForEach(func(k, val gjson.Result) bool {
		want = append(want, member{k.Str, val.Raw, val.Str, val.Type, val.Num})
		return true
	})
	kinds := map[uint8]gjson.Type{jString: gjson.String, jNumber: gjson.Number, jObject: gjson.JSON,
		jArray: gjson.JSON, jTrue: gjson.True, jFalse: gjson.False, jNull: gjson.Null}
	w := walker{t: &tp}
	var got []member
	for c := w.each(tp.root()); c.next(); {
		if c.Idx != len(got) {
			t.Fatalf("Idx = %d at member %d", c.Idx, len(got))
		}
		nd := tp.nodes[c.Val.node]
		if c.Val.Raw != raw[nd.start:nd.end] {
			t.Fatalf("%s: member %d: node %d does not locate %s", raw, c.Idx, c.Val.node, c.Val.Raw)
		}
		s, n := text(c.Val), 0.0
		if isNumber(c.Val) {
			n = num(c.Val)
		}
		got = append(got, member{c.Key, c.Val.Raw, s, kinds[c.Val.kind], n})
	}
	if len(got) != len(want) {
		t.Fatalf("%s: cursor found %d members, ForEach %d", raw, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: member %d: cursor %+v, ForEach %+v", raw, i, got[i], want[i])
		}
	}
}

func TestCursorMatchesForEach(t *testing.T) {
	for _, raw := range []string{
		`{}`, `[]`, ` { } `, `{"a":1}`, `[1, -2.5e3, true, false, null, "x"]`,
		`{"a\"b":"c\\\"d","e":{"f":[1,{"g":"]}"}]},"h":"\u00e9\n"}`,
		`{"k" : [ ] , "l" : { } , "m" : "" }`,
		`[{"a":"}"},["]",[]],"\\"]`,
		`{"a":01}`, `{"a":1.}`, `{"a":1e}`, `{"a":-}`, `{"a":.5}`, `{"a":1e+5}`, `[-0.0E-0]`, `1`, `"x"`, ` null `,
		`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, "{\"a\":\"\x1f\"}", "{\"a\":\"\x7f\xff\"}",
		`{"a":tru}`, `{"a":truex}`, `[nul]`, `[falsey]`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `{,}`, `[1 2]`,
		`{"a":1}}`, `{"a":[1}`, `{"a":{"b":]}}`, `{"a":1} x`, "{\"a\":1}\n\t\r ", `{"a":"1234567\"890123456789"}`,
		strings.Repeat(`[{"b":`, 300) + "1" + strings.Repeat("}]", 300), strings.Repeat(`[{"b":`, 300) + "1" + strings.Repeat("]}", 300),
	} {
		sameAsForEach(t, raw)
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		for i := range len(b) {
			sameAsForEach(t, string(b[:i]))
		}
		sameAsForEach(t, string(b))
		gjson.Parse(string(b)).ForEach(func(_, v gjson.Result) bool {
			if v.IsObject() || v.IsArray() {
				sameAsForEach(t, v.Raw)
			}
			return true
		})
	}
}

func FuzzCursor(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		f.Add(string(b))
	}
	f.Add(`{"a\"b":"c\\\"d","e":[1,{"g":"]}"}]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		sameAsForEach(t, raw)
	})
}

func TestPath(t *testing.T) {
	msgs := root("messages").index(2)
	content := msgs.dot("content")
	part := content.index(0)
	input := root("input").index(0)
	inContent := input.dot("content")
	meta := root("metadata")
	tools := root("tools").index(1)
	cases := []struct {
		p    at
		want string
	}{
		{root("model"), "model"},
		{part.dot("type"), "messages[2].content[0].type"},
		{inContent.index(1), "input[0].content[1]"},
		{meta.dot("completion_window"), "metadata.completion_window"},
		{tools.dot("type"), "tools[1].type"},
	}
	for _, c := range cases {
		if got := c.p.String(); got != c.want {
			t.Errorf("path = %q, want %q", got, c.want)
		}
	}
}

func TestNum(t *testing.T) {
	for _, raw := range []string{"0", "7", "512", "2147483647", "2147483648", "123456789012345", "999999999999999",
		"1234567890123456", "99999999999999999999", "-3", "-0", "1e3", "0.5", "1.0", "1E+2", "1e400", "-1e400"} {
		tp := tape{}
		if !tp.build(raw) {
			t.Fatalf("%s: not JSON", raw)
		}
		want, _ := strconv.ParseFloat(raw, 64)
		if got := num(tp.root()); got != want {
			t.Errorf("num(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestMatches(t *testing.T) {
	cases := []struct {
		raw, lit string
		want     bool
	}{
		{`null`, "null", true}, {`false`, "false", true}, {`true`, "false", false},
		{`0`, "0", true}, {`0.0`, "0", true}, {`-0`, "0", true}, {`1e0`, "1", true}, {`2`, "1", false},
		{`[]`, "[]", true}, {`[ ]`, "[]", true}, {`[1]`, "[]", false}, {`{}`, "[]", false},
		{`{ }`, "{}", true}, {`{"a":1}`, "{}", false},
		{`"auto"`, `"auto"`, true}, {`"\u0061uto"`, `"auto"`, true}, {`"Auto"`, `"auto"`, false}, {`""`, `""`, true},
	}
	for _, c := range cases {
		var tp tape
		if !tp.build(c.raw) {
			t.Fatalf("%s: not JSON", c.raw)
		}
		v := tp.root()
		if got := matches(v, c.lit); got != c.want {
			t.Errorf("matches(%s, %s) = %v, want %v", c.raw, c.lit, got, c.want)
		}
	}
}

// BenchmarkIterate compares walking the messages of a typical chat body with gjson's ForEach,
// which copies every string holding an escape, against building the tape and stepping through it.
func BenchmarkIterate(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("testdata", "chat", "valid_agent_turns.json"))
	if err != nil {
		b.Fatal(err)
	}
	msgs := gjson.GetBytes(body, "messages")
	b.Run("gjson.ForEach", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			msgs.ForEach(func(_, m gjson.Result) bool {
				m.ForEach(func(_, v gjson.Result) bool { return true })
				return true
			})
		}
	})
	b.Run("tape", func(b *testing.B) {
		b.ReportAllocs()
		w := walker{t: new(tape)}
		for b.Loop() {
			w.t.build(msgs.Raw)
			for c := w.each(w.t.root()); c.next(); {
				for d := w.each(c.Val); d.next(); {
				}
			}
		}
	})
}
