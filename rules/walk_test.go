package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// sameAsForEach checks the cursor against gjson's own ForEach on a valid container: the same
// members, keys, raw values, types, numbers and decoded strings.
func sameAsForEach(t *testing.T, raw string) {
	t.Helper()
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
	// Once scanning containers, once stepping over them with the layout.
	var lay layout
	lay.build(raw)
	off := len(raw) - len(strings.TrimLeft(raw, " \t\r\n"))
	for _, w := range []walker{{}, {lay: &lay}} {
		var got []member
		for c := w.each(gjson.Result{Type: gjson.JSON, Raw: v.Raw, Index: off}); c.next(); {
			if c.Idx != len(got) {
				t.Fatalf("Idx = %d at member %d", c.Idx, len(got))
			}
			if c.Val.Raw != raw[c.Val.Index:c.Val.Index+len(c.Val.Raw)] {
				t.Fatalf("%s: member %d: Index %d does not locate %s", raw, c.Idx, c.Val.Index, c.Val.Raw)
			}
			s := ""
			if c.Val.Type == gjson.String {
				s = text(c.Val)
			}
			got = append(got, member{c.Key, c.Val.Raw, s, c.Val.Type, c.Val.Num})
		}
		if len(got) != len(want) {
			t.Fatalf("%s: cursor (layout %v) found %d members, ForEach %d", raw, w.lay != nil, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: member %d (layout %v): cursor %+v, ForEach %+v", raw, i, w.lay != nil, got[i], want[i])
			}
		}
	}
}

func TestCursorMatchesForEach(t *testing.T) {
	for _, raw := range []string{
		`{}`, `[]`, ` { } `, `{"a":1}`, `[1, -2.5e3, true, false, null, "x"]`,
		`{"a\"b":"c\\\"d","e":{"f":[1,{"g":"]}"}]},"h":"\u00e9\n"}`,
		`{"k" : [ ] , "l" : { } , "m" : "" }`,
		`[{"a":"}"},["]",[]],"\\"]`,
	} {
		sameAsForEach(t, raw)
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	for _, p := range paths {
		b, _ := os.ReadFile(p)
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
	cases := []struct {
		p    at
		want string
	}{
		{root("model"), "model"},
		{root("messages").index(2).dot("content").index(0).dot("type"), "messages[2].content[0].type"},
		{root("input").index(0).dot("content").index(1), "input[0].content[1]"},
		{root("metadata").dot("completion_window"), "metadata.completion_window"},
		{root("tools").index(1).dot("type"), "tools[1].type"},
	}
	for _, c := range cases {
		if got := c.p.String(); got != c.want {
			t.Errorf("path = %q, want %q", got, c.want)
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
		var v gjson.Result
		value(c.raw, 0, nil, 0, &v)
		if got := matches(v, c.lit); got != c.want {
			t.Errorf("matches(%s, %s) = %v, want %v", c.raw, c.lit, got, c.want)
		}
	}
}

// BenchmarkIterate compares walking the messages of a typical chat body with gjson's ForEach,
// which copies every string holding an escape, against the cursor, which does not.
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
	b.Run("cursor", func(b *testing.B) {
		b.ReportAllocs()
		w := walker{lay: new(layout)}
		for b.Loop() {
			w.lay.build(msgs.Raw)
			for c := w.each(gjson.Result{Type: gjson.JSON, Raw: msgs.Raw}); c.next(); {
				for d := w.each(c.Val); d.next(); {
				}
			}
		}
	})
}
