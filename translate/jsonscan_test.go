package translate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// validObject is what the scanner must agree with: gjson.Valid, and an object at the top.
func validObject(s string) bool {
	return gjson.Valid(s) && gjson.Parse(s).IsObject()
}

// scanInputs are bodies whose every prefix the scanner must judge as gjson does.
func scanInputs(t testing.TB) []string {
	in := []string{
		`{}`, ` { } `, `{"a":1}`, `{"a":[1,-2.5e3,true,false,null,"x",{},[]]}`, `{"a\"b":"c\\\"d\u00e9\n"}`,
		`{"a":01}`, `{"a":1.}`, `{"a":1e}`, `{"a":-}`, `{"a":.5}`, `{"a":1e+5}`, `{"a":-0.0E-0}`,
		`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, "{\"a\":\"\x1f\"}", "{\"a\":\"\x7f\xff\"}",
		`{"a":tru}`, `{"a":truex}`, `{"a":nul}`, `{"a":falsey}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `{,}`,
		`{"a":1}}`, `{"a":[1}`, `{"a":{"b":]}}`, `[]`, `"x"`, `1`, `{"a":1} x`, "{\"a\":1}\n\t\r ",
		`{"a":"1234567\"890123456789"}`, `{"a":"12345678\\"}`, `{"a":"` + strings.Repeat(`\\`, 9) + `"}`,
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "*", "*", "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, string(b))
	}
	return append(in, string(typicalChatRequest), string(typicalResponsesRequest))
}

func TestScanMatchesGjson(t *testing.T) {
	for _, s := range scanInputs(t) {
		for i := range len(s) + 1 {
			if got, want := validBody(s[:i]), validObject(s[:i]); got != want {
				t.Fatalf("validBody(%q) = %v, gjson says %v", s[:i], got, want)
			}
		}
	}
}

// TestScanDeepNesting crosses the 256 levels the scanner keeps on the stack.
func TestScanDeepNesting(t *testing.T) {
	for _, depth := range []int{63, 64, 65, 255, 256, 257, 1000} {
		arr := `{"a":` + strings.Repeat(`[{"b":`, depth) + `1` + strings.Repeat(`}]`, depth) + `}`
		if !validBody(arr) {
			t.Errorf("depth %d: valid body rejected", depth)
		}
		bad := arr[:len(arr)-3] + `]}]}` // an object closed by ']'
		if validBody(bad) || validObject(bad) {
			t.Errorf("depth %d: mismatched brackets accepted", depth)
		}
		out, e := ChatRequest(nil, []byte(arr), VLLM)
		if e != nil || !json.Valid(out) {
			t.Errorf("depth %d: ChatRequest = %v, %.40s", depth, e, out)
		}
	}
}

func TestTokText(t *testing.T) {
	cases := []struct {
		raw, want string
	}{
		{`"plain"`, "plain"}, {`"dev\u0065loper"`, "developer"}, {`"a\nb"`, "a\nb"}, {`""`, ""},
	}
	for _, c := range cases {
		v, _, ok := scanValue(c.raw, 0)
		if !ok || v.text() != c.want || !v.is(c.want) || v.is(c.want+"x") {
			t.Errorf("%s: text %q, want %q", c.raw, v.text(), c.want)
		}
	}
	if v, _, _ := scanValue(`{"type":"a","type":"b","x":{"type":"c"}}`, 0); !v.field("type").is("a") || v.field("nope").exists() {
		t.Errorf("field does not return the first member: %+v", v.field("type"))
	}
}

func FuzzScanBody(f *testing.F) {
	for _, s := range scanInputs(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validBody(s), validObject(s); got != want {
			t.Fatalf("validBody(%q) = %v, gjson says %v", s, got, want)
		}
		// A body read member by member must be judged the same way as one checked whole.
		sc := scanBody(s)
		for sc.next() {
			sc.value()
		}
		if bodyDone(&sc) != validObject(s) {
			t.Fatalf("member scan of %q = %v", s, bodyDone(&sc))
		}
	})
}

// BenchmarkScanBody compares the scanner with gjson.Valid over a typical chat body.
func BenchmarkScanBody(b *testing.B) {
	s := string(typicalChatRequest)
	b.Run("gjson.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			if !gjson.Valid(s) {
				b.Fatal()
			}
		}
	})
	b.Run("validBody", func(b *testing.B) {
		b.SetBytes(int64(len(s)))
		for b.Loop() {
			if !validBody(s) {
				b.Fatal()
			}
		}
	})
}
