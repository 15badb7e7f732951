package rules

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
)

// checkOutcome asserts what must hold for any input: an accepted body is a JSON object with a
// model and a window; a rejected one gets a 400 invalid_request_error envelope that is valid JSON.
func checkOutcome(t *testing.T, v *Validator, s Surface, body []byte) {
	t.Helper()
	var r Request
	err := v.Validate(s, body, &r)
	if err != nil {
		if err.Status != 400 || err.Type != apierr.TypeInvalidRequest || err.Code == "" || err.Message == "" {
			t.Fatalf("bad error %+v for %q", err, body)
		}
		if env := err.AppendJSON(nil); !gjson.ValidBytes(env) {
			t.Fatalf("envelope is not JSON: %s", env)
		}
		return
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		t.Fatalf("accepted a body that is not a JSON object: %q", body)
	}
	if r.Model == "" || r.Window == "" || r.Surface != s {
		t.Fatalf("accepted %q but Request = %+v", body, r)
	}
	if r.MaxTokens < 0 {
		t.Fatalf("negative MaxTokens in %+v", r)
	}
}

func fuzzSurface(f *testing.F, s Surface, dir string) {
	v := New(Config{})
	names, data := bodies(f, dir)
	for _, n := range names {
		f.Add(data[n])
	}
	for _, c := range allCases(v) {
		if c.s == s {
			f.Add([]byte(c.body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkOutcome(t, v, s, body)
	})
}

func FuzzValidateChat(f *testing.F)      { fuzzSurface(f, Chat, "chat") }
func FuzzValidateResponses(f *testing.F) { fuzzSurface(f, Responses, "responses") }
func FuzzValidateMessages(f *testing.F)  { fuzzSurface(f, Messages, "messages") }

// mutations are the bytes most likely to break a JSON walker.
const mutations = "{}[]\",:\\ \x00ntf0-1e.\xff"

// TestGarbageNeverPanics runs every surface over every prefix of every testdata body, over
// byte-level mutations of them, and over random bytes: each answer is nil or a 400 envelope.
func TestGarbageNeverPanics(t *testing.T) {
	v := New(Config{})
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs [][]byte
	for _, sd := range surfaceDirs {
		names, data := bodies(t, sd.dir)
		for _, n := range names {
			b := data[n]
			for i := range len(b) + 1 {
				inputs = append(inputs, b[:i])
			}
			for range 200 {
				m := append([]byte(nil), b...)
				for range 1 + rng.IntN(4) {
					m[rng.IntN(len(m))] = mutations[rng.IntN(len(mutations))]
				}
				inputs = append(inputs, m)
			}
		}
	}
	for range 2000 {
		g := make([]byte, rng.IntN(64))
		for i := range g {
			g[i] = byte(rng.IntN(256))
		}
		inputs = append(inputs, g)
	}
	inputs = append(inputs, nil, []byte("{}"), []byte(`{"":""}`), []byte(`{"model":"\ud800"}`),
		[]byte(`{"metadata":{"completion_webhook":"http://[::1"}}`))
	for _, in := range inputs {
		for _, s := range []Surface{Chat, Responses, Messages} {
			checkOutcome(t, v, s, in)
		}
	}
}
