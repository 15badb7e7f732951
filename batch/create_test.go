package batch

import (
	"strings"
	"testing"
)

func TestCreateSailValidation(t *testing.T) {
	item := func(params string) func(int) string {
		return func(int) string { return params }
	}
	at := func(k int, params string) func(int) string {
		return func(i int) string {
			if i == k {
				return params
			}
			return `{"model":"sim-1","input":"ok"}`
		}
	}
	chat := `{"model":"sim-1","messages":[{"role":"user","content":"hi"}]}`
	msgs := `{"model":"sim-1","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`
	cases := []struct {
		name   string
		body   string
		status int
		param  string // wanted error param ("" with status 200)
		code   string // wanted error code, when it matters
	}{
		{"three items", sailBody("/v1/responses", "", 3, nil), 200, "", ""},
		{"stream on item 17", sailBody("/v1/responses", "", 20, at(17, `{"model":"sim-1","input":"x","stream":true}`)), 400, "requests[17].params.stream", ""},
		{"item before endpoint", `{"requests":[{"custom_id":"a","params":{"model":"sim-1","input":"x","stream":true}}],"endpoint":"/v1/responses"}`, 400, "requests[0].params.stream", ""},
		{"unknown model", sailBody("/v1/responses", "", 2, at(1, `{"model":"nope","input":"x"}`)), 400, "requests[1].params.model", "model_not_found"},
		{"asap item", sailBody("/v1/responses", "", 2, at(1, `{"model":"sim-1","input":"x","metadata":{"completion_window":"asap"}}`)), 400, "requests[1].params.metadata.completion_window", ""},
		{"unknown item window", sailBody("/v1/responses", "", 1, item(`{"model":"sim-1","input":"x","metadata":{"completion_window":"1h"}}`)), 400, "requests[0].params.metadata.completion_window", ""},
		{"15m item", sailBody("/v1/responses", "", 1, item(`{"model":"sim-1","input":"x","metadata":{"completion_window":"15m"}}`)), 200, "", ""},
		{"24h item", sailBody("/v1/responses", "", 1, item(`{"model":"sim-1","input":"x","metadata":{"completion_window":"24h"}}`)), 200, "", ""},
		{"asap batch window", sailBody("/v1/responses", `,"metadata":{"completion_window":"asap"}`, 1, nil), 400, "metadata.completion_window", ""},
		{"24h batch window", sailBody("/v1/responses", `,"metadata":{"completion_window":"24h"}`, 1, nil), 200, "", ""},
		{"duplicate custom_id", `{"endpoint":"/v1/responses","requests":[{"custom_id":"a","params":{"model":"sim-1","input":"x"}},{"custom_id":"b","params":{"model":"sim-1","input":"x"}},{"custom_id":"a","params":{"model":"sim-1","input":"x"}}]}`, 400, "requests[2].custom_id", "duplicate_custom_id"},
		{"zero items", `{"endpoint":"/v1/responses","requests":[]}`, 400, "requests", ""},
		{"more than MaxItems", sailBody("/v1/responses", "", 21, nil), 400, "requests", ""},
		{"exactly MaxItems", sailBody("/v1/responses", "", 20, nil), 200, "", ""},
		{"requests missing", `{"endpoint":"/v1/responses"}`, 400, "requests", ""},
		{"requests not an array", `{"endpoint":"/v1/responses","requests":{}}`, 400, "requests", ""},
		{"endpoint missing", `{"requests":[{"custom_id":"a","params":{"model":"sim-1","input":"x"}}]}`, 400, "endpoint", ""},
		{"endpoint embeddings", sailBody("/v1/embeddings", "", 1, nil), 400, "endpoint", ""},
		{"endpoint not a string", `{"endpoint":1,"requests":[]}`, 400, "endpoint", ""},
		{"endpoint chat (extension)", sailBody("/v1/chat/completions", "", 2, item(chat)), 200, "", ""},
		{"endpoint messages (extension)", sailBody("/v1/messages", "", 2, item(msgs)), 200, "", ""},
		{"chat body on responses", sailBody("/v1/responses", "", 1, item(chat)), 400, "requests[0].params.messages", ""},
		{"label ok", sailBody("/v1/responses", `,"label":"Run_2024-01"`, 1, nil), 200, "", ""},
		{"label 128", sailBody("/v1/responses", `,"label":"`+strings.Repeat("a", 128)+`"`, 1, nil), 200, "", ""},
		{"label 129", sailBody("/v1/responses", `,"label":"`+strings.Repeat("a", 129)+`"`, 1, nil), 400, "label", ""},
		{"label space", sailBody("/v1/responses", `,"label":"a b"`, 1, nil), 400, "label", ""},
		{"label dot", sailBody("/v1/responses", `,"label":"a.b"`, 1, nil), 400, "label", ""},
		{"label empty", sailBody("/v1/responses", `,"label":""`, 1, nil), 400, "label", ""},
		{"label not a string", sailBody("/v1/responses", `,"label":7`, 1, nil), 400, "label", ""},
		{"label null", sailBody("/v1/responses", `,"label":null`, 1, nil), 200, "", ""},
		{"custom_id missing", `{"endpoint":"/v1/responses","requests":[{"params":{"model":"sim-1","input":"x"}}]}`, 400, "requests[0].custom_id", ""},
		{"custom_id empty", `{"endpoint":"/v1/responses","requests":[{"custom_id":"","params":{"model":"sim-1","input":"x"}}]}`, 400, "requests[0].custom_id", ""},
		{"custom_id number", `{"endpoint":"/v1/responses","requests":[{"custom_id":3,"params":{"model":"sim-1","input":"x"}}]}`, 400, "requests[0].custom_id", ""},
		{"custom_id too long", `{"endpoint":"/v1/responses","requests":[{"custom_id":"` + strings.Repeat("x", 513) + `","params":{"model":"sim-1","input":"x"}}]}`, 400, "requests[0].custom_id", ""},
		{"params missing", `{"endpoint":"/v1/responses","requests":[{"custom_id":"a"}]}`, 400, "requests[0].params", ""},
		{"params not an object", `{"endpoint":"/v1/responses","requests":[{"custom_id":"a","params":[]}]}`, 400, "requests[0].params", ""},
		{"item not an object", `{"endpoint":"/v1/responses","requests":["x"]}`, 400, "requests[0]", ""},
		{"unknown item field", `{"endpoint":"/v1/responses","requests":[{"custom_id":"a","method":"POST","params":{"model":"sim-1","input":"x"}}]}`, 400, "requests[0].method", ""},
		{"unknown top-level field", sailBody("/v1/responses", `,"priority":1`, 1, nil), 400, "priority", ""},
		{"completion_window is OpenAI's", sailBody("/v1/responses", `,"completion_window":"24h"`, 1, nil), 400, "completion_window", ""},
		{"requests and input_file_id", sailBody("/v1/responses", `,"input_file_id":"file-ab"`, 1, nil), 400, "input_file_id", ""},
		{"metadata not strings", sailBody("/v1/responses", `,"metadata":{"a":1}`, 1, nil), 400, "metadata.a", ""},
		{"duplicate member", `{"endpoint":"/v1/responses","endpoint":"/v1/responses","requests":[]}`, 400, "endpoint", ""},
		{"not JSON", `{"endpoint":`, 400, "", "invalid_json"},
		{"trailing data", sailBody("/v1/responses", "", 1, nil) + `{}`, 400, "", "invalid_json"},
		{"not an object", `[1]`, 400, "", ""},
	}
	e := newEnv(t, Config{MaxItems: 20})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("POST", "/v1/batches", c.body)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if c.status == 200 {
				if !strings.HasPrefix(r.str("id"), "batch_") || r.str("request_counts") == "" || r.str("created_at") == "" {
					t.Fatalf("reply: %s", r.body)
				}
				e.wait(r.str("id"))
				return
			}
			param, code, _ := errParam(t, r)
			if param != c.param || (c.code != "" && code != c.code) {
				t.Fatalf("param %q code %q, want %q %q: %s", param, code, c.param, c.code, r.body)
			}
		})
	}
}

// A refused batch leaves nothing behind: no items, no listing, no ingestion marker.
func TestRefusedBatchStoresNothing(t *testing.T) {
	e := newEnv(t, Config{})
	body := sailBody("/v1/responses", "", 50, func(i int) string {
		if i == 40 {
			return `{"model":"sim-1","input":"x","temperature":"hot"}`
		}
		return `{"model":"sim-1","input":"fine"}`
	})
	r := e.call("POST", "/v1/batches", body)
	if param, _, msg := errParam(t, r); r.status != 400 || param != "requests[40].params.temperature" || !strings.HasPrefix(msg, "requests[40]: ") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if n := e.kvCount(nsItems, ""); n != 0 {
		t.Fatalf("%d item entries left behind", n)
	}
	if n := e.kvCount(nsIngest, ""); n != 0 {
		t.Fatalf("%d ingestion markers left behind", n)
	}
	if l := e.call("GET", "/v1/batches", ""); string(l.body) != "[]" {
		t.Fatalf("list: %s", l.body)
	}
	if len(e.exec.runs) != 0 {
		t.Fatalf("items ran: %v", e.exec.runs)
	}
}

func TestCheckLabel(t *testing.T) {
	cases := []struct {
		label string
		ok    bool
	}{
		{"a", true},
		{"A-z_0-9", true},
		{strings.Repeat("x", 128), true},
		{strings.Repeat("x", 129), false},
		{"", false},
		{"with space", false},
		{"dot.ted", false},
		{"slash/ed", false},
		{"é", false},
		{"tab\t", false},
	}
	for _, c := range cases {
		e := checkLabel(c.label)
		if (e == nil) != c.ok {
			t.Errorf("checkLabel(%q) = %v, want ok=%v", c.label, e, c.ok)
		}
		if e != nil && e.Param != "label" {
			t.Errorf("checkLabel(%q): param %q", c.label, e.Param)
		}
	}
}

func TestIdempotentCreate(t *testing.T) {
	e := newEnv(t, Config{})
	body := sailBody("/v1/responses", "", 3, nil)
	first := e.call("POST", "/v1/batches", body, "Idempotency-Key", "k1")
	if first.status != 200 {
		t.Fatalf("%d %s", first.status, first.body)
	}
	id := first.str("id")
	e.wait(id)
	again := e.call("POST", "/v1/batches", body, "Idempotency-Key", "k1")
	if again.status != 200 || again.str("id") != id || again.header["Idempotent-Replayed"] != "true" {
		t.Fatalf("replay: %d %s %v", again.status, again.body, again.header)
	}
	diff := e.call("POST", "/v1/batches", sailBody("/v1/responses", "", 4, nil), "Idempotency-Key", "k1")
	if _, code, _ := errParam(t, diff); diff.status != 400 || code != "idempotency_error" {
		t.Fatalf("different body: %d %s", diff.status, diff.body)
	}
	// A refused body does not consume a key.
	bad := e.call("POST", "/v1/batches", `{"endpoint":"/v1/responses","requests":[]}`, "Idempotency-Key", "k2")
	if bad.status != 400 {
		t.Fatalf("%d %s", bad.status, bad.body)
	}
	ok := e.call("POST", "/v1/batches", body, "Idempotency-Key", "k2")
	if ok.status != 200 || ok.str("id") == id {
		t.Fatalf("k2 after a refusal: %d %s", ok.status, ok.body)
	}
	e.wait(ok.str("id"))
	long := e.call("POST", "/v1/batches", body, "Idempotency-Key", strings.Repeat("k", 256))
	if p, _, _ := errParam(t, long); long.status != 400 || p != "Idempotency-Key" {
		t.Fatalf("long key: %d %s", long.status, long.body)
	}
	if n := e.kvCount(nsIndex, owner+"/"); n != 2 {
		t.Fatalf("%d batches listed, want 2", n)
	}
	for i := 0; i < 3; i++ {
		if c := e.exec.runCount(itemObjectID("resp_", id, uint32(i))); c != 1 {
			t.Fatalf("item %d of the replayed batch ran %d times", i, c)
		}
	}
}

func TestBodyLimits(t *testing.T) {
	e := newEnv(t, Config{MaxBodyBytes: 4096, MaxItemBytes: 1024})
	big := sailBody("/v1/responses", "", 1, func(int) string {
		return `{"model":"sim-1","input":"` + strings.Repeat("x", 2000) + `"}`
	})
	if r := e.call("POST", "/v1/batches", big); r.status != 413 {
		t.Fatalf("oversized item: %d %s", r.status, r.body)
	} else if p, _, _ := errParam(t, r); p != "requests[0]" {
		t.Fatalf("oversized item param %q", p)
	}
	if r := e.call("POST", "/v1/batches", sailBody("/v1/responses", "", 100, nil)); r.status != 413 {
		t.Fatalf("oversized body: %d %s", r.status, r.body)
	}
	if n := e.kvCount(nsItems, ""); n != 0 {
		t.Fatalf("%d item entries left behind", n)
	}
}
