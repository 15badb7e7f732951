package e2e

import (
	"strings"
	"sync"
	"testing"
)

func TestIdempotency(t *testing.T) {
	s := newStack(t)
	body := `{"model":"sim-1","input":"once only"}`
	post := func(path, body, key string) rawResult {
		return do(t, "POST", s.serve.URL+path, body, "Idempotency-Key", key)
	}

	t.Run("retry replays without running inference again", func(t *testing.T) {
		before := simStats(t, s.sim)
		a := post("/v1/responses", body, "k-replay")
		b := post("/v1/responses", body, "k-replay")
		if a.Status != 200 || b.Status != 200 {
			t.Fatalf("%d %d", a.Status, b.Status)
		}
		if jsonField(t, a.Body, "id") != jsonField(t, b.Body, "id") || b.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay differs: %s vs %s", a.Body, b.Body)
		}
		if n := simStats(t, s.sim) - before; n != 1 {
			t.Fatalf("engine ran %d times, want 1", n)
		}
	})

	t.Run("chat replay", func(t *testing.T) {
		cb := `{"model":"sim-1","messages":[{"role":"user","content":"x"}]}`
		a, b := post("/v1/chat/completions", cb, "k-chat"), post("/v1/chat/completions", cb, "k-chat")
		if jsonField(t, a.Body, "id") != jsonField(t, b.Body, "id") {
			t.Fatalf("%s vs %s", a.Body, b.Body)
		}
	})

	t.Run("different body is refused", func(t *testing.T) {
		post("/v1/responses", body, "k-diff")
		r := post("/v1/responses", `{"model":"sim-1","input":"something else"}`, "k-diff")
		e := decodeEnvelope(t, r.Body)
		if r.Status != 400 || e.Error.Type != "idempotency_error" || e.Error.Code == nil || *e.Error.Code != "idempotency_error" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})

	t.Run("a request refused by validation does not consume the key", func(t *testing.T) {
		bad := post("/v1/responses", `{"model":"sim-1","input":"x","stream":true}`, "k-valid")
		if bad.Status != 400 {
			t.Fatalf("%d", bad.Status)
		}
		good := post("/v1/responses", body, "k-valid")
		if good.Status != 200 {
			t.Fatalf("%d %s", good.Status, good.Body)
		}
	})

	t.Run("keys are scoped by API key", func(t *testing.T) {
		a := post("/v1/responses", body, "k-scope")
		b := do(t, "POST", s.serve.URL+"/v1/responses", body, "Idempotency-Key", "k-scope", "Authorization", "Bearer "+otherKey)
		if jsonField(t, a.Body, "id") == jsonField(t, b.Body, "id") {
			t.Fatal("another key replayed my response")
		}
	})

	t.Run("key longer than 255 characters", func(t *testing.T) {
		r := post("/v1/responses", body, strings.Repeat("k", 256))
		if e := decodeEnvelope(t, r.Body); r.Status != 400 || e.Error.Type != "idempotency_error" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})

	t.Run("concurrent requests with one key run inference once", func(t *testing.T) {
		before := simStats(t, s.sim)
		const n = 8
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := post("/v1/responses", `{"model":"sim-1","input":"concurrent"}`, "k-conc")
				if r.Status == 200 {
					ids[i] = jsonField(t, r.Body, "id")
				}
			}()
		}
		wg.Wait()
		for i := range ids {
			if ids[i] == "" || ids[i] != ids[0] {
				t.Fatalf("replies differ: %q", ids)
			}
		}
		if ran := simStats(t, s.sim) - before; ran != 1 {
			t.Fatalf("engine ran %d times, want 1", ran)
		}
	})

	t.Run("background replay shows the current state", func(t *testing.T) {
		bg := `{"model":"sim-1","input":"bg","background":true}`
		a := post("/v1/responses", bg, "k-bg")
		if a.Status != 202 {
			t.Fatalf("%d %s", a.Status, a.Body)
		}
		final := pollResponse(t, s.client, jsonField(t, a.Body, "id"))
		b := post("/v1/responses", bg, "k-bg")
		if b.Status != 200 || jsonField(t, b.Body, "status") != string(final.Status) {
			t.Fatalf("replay %d %s", b.Status, b.Body)
		}
	})
}
