package e2e

import (
	"testing"

	"sailshim/internal/oaischema"
)

// TestRepliesMatchOpenAISchemas checks the raw bytes sailshim returns against OpenAI's published
// schemas: what the SDKs are generated from.
func TestRepliesMatchOpenAISchemas(t *testing.T) {
	s := newStack(t, "--max-body-bytes", "2048")
	chat := func(extra string) []byte {
		r := do(t, "POST", s.serve.URL+"/v1/chat/completions", `{"model":"sim-1","messages":[{"role":"user","content":"hi"}]`+extra+`}`)
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		return r.Body
	}
	t.Run("chat plain", func(t *testing.T) { oaischema.Validate(t, "CreateChatCompletionResponse", chat("")) })
	t.Run("chat tools", func(t *testing.T) {
		oaischema.Validate(t, "CreateChatCompletionResponse", chat(`,"tool_choice":"required","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}}]`))
	})
	t.Run("chat json_schema", func(t *testing.T) {
		oaischema.Validate(t, "CreateChatCompletionResponse", chat(`,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}}`))
	})
	t.Run("chat reasoning", func(t *testing.T) {
		oaischema.Validate(t, "CreateChatCompletionResponse", chat(`,"reasoning_effort":"low"`))
	})

	t.Run("model list", func(t *testing.T) {
		r := do(t, "GET", s.serve.URL+"/v1/models", "")
		oaischema.Validate(t, "ListModelsResponse", r.Body)
	})

	errs := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
	}{
		{"400 rejected row", "POST", "/v1/chat/completions", `{"model":"sim-1","messages":[{"role":"user","content":"x"}],"stream":true}`, nil, 400},
		{"400 malformed", "POST", "/v1/responses", `{`, nil, 400},
		{"401", "POST", "/v1/chat/completions", `{}`, []string{"Authorization", ""}, 401},
		{"404 model", "POST", "/v1/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"x"}]}`, nil, 404},
		{"404 response", "GET", "/v1/responses/resp_missing", "", nil, 404},
		{"404 route", "GET", "/v1/nothing", "", nil, 404},
		{"413", "POST", "/v1/chat/completions", `{"model":"sim-1","messages":[{"role":"user","content":"` + repeat("a", 3000) + `"}]}`, nil, 413},
		{"messages 400", "POST", "/v1/messages", `{"model":"sim-1","messages":[{"role":"user","content":"x"}]}`, nil, 400},
	}
	for _, e := range errs {
		t.Run("error "+e.name, func(t *testing.T) {
			r := do(t, e.method, s.serve.URL+e.path, e.body, e.headers...)
			if r.Status != e.status {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			oaischema.Validate(t, "ErrorResponse", r.Body)
		})
	}

	resp := func(body string) []byte {
		r := do(t, "POST", s.serve.URL+"/v1/responses", body)
		if r.Status != 200 && r.Status != 202 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		return r.Body
	}
	t.Run("response completed", func(t *testing.T) {
		oaischema.Validate(t, "Response", resp(`{"model":"sim-1","input":"hi","temperature":0.5,"metadata":{"a":"b"}}`))
	})
	t.Run("response incomplete", func(t *testing.T) {
		oaischema.Validate(t, "Response", resp(`{"model":"sim-1","input":"long [sim:tokens=30]","max_output_tokens":3}`))
	})
	t.Run("response with tools and reasoning", func(t *testing.T) {
		oaischema.Validate(t, "Response", resp(`{"model":"sim-1","input":"go","reasoning":{"effort":"medium","summary":"auto"},"tool_choice":"required","tools":[{"type":"function","name":"f","parameters":{"type":"object","properties":{}},"strict":false},{"type":"custom","name":"sql"}]}`))
	})
	t.Run("response queued then completed", func(t *testing.T) {
		b := resp(`{"model":"sim-1","input":"bg","background":true}`)
		oaischema.Validate(t, "Response", b)
		final := pollResponse(t, s.client, jsonField(t, b, "id"))
		oaischema.Validate(t, "Response", []byte(final.RawJSON()))
	})
	t.Run("response failed", func(t *testing.T) {
		simFaults(t, s.sim, `{"fail_next":1,"fail_status":400}`)
		b := resp(`{"model":"sim-1","input":"bg","background":true}`)
		final := pollResponse(t, s.client, jsonField(t, b, "id"))
		if final.Status != "failed" || final.Error.Message == "" {
			t.Fatalf("want failed with an error: %s", final.RawJSON())
		}
		oaischema.Validate(t, "Response", []byte(final.RawJSON()))
	})
}
