package translate

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"

	"sailshim/internal/oaischema"
)

func TestResponsesRequestGolden(t *testing.T) {
	for _, g := range goldenCases(t, "responses/request", "in") {
		t.Run(g.Name, func(t *testing.T) {
			in := g.read(t, "in")
			keep := bytes.Clone(in)
			out, e := ResponsesRequest(nil, in, g.Dialect)
			if e != nil {
				t.Fatal(e)
			}
			unchanged(t, "body", keep, in)
			if g.Dialect != TGI {
				oaischema.Validate(t, "CreateChatCompletionRequest", out)
			}
			checkGolden(t, g.path("out"), out)
		})
	}
}

// TestResponsesRequest asserts, per mapping, the chat body an engine receives.
func TestResponsesRequest(t *testing.T) {
	cases := []struct {
		name   string
		d      Dialect
		body   string
		want   map[string]string
		absent []string
	}{
		{"string input", VLLM, `{"model":"m","input":"hi"}`,
			map[string]string{"model": `"m"`, "messages": `[{"role":"user","content":"hi"}]`}, nil},
		{"not forwarded", VLLM, `{"model":"m","input":"hi","metadata":{"a":"b"},"background":true,"include":[],"truncation":"disabled","store":true,"user":"u","service_tier":"auto","stream":false,"instructions":null,"previous_response_id":null}`,
			nil, []string{"metadata", "background", "include", "truncation", "store", "user", "service_tier", "stream", "instructions", "previous_response_id", "input"}},
		{"max tokens vllm", VLLM, `{"input":"x","max_output_tokens":7}`, map[string]string{"max_completion_tokens": `7`}, []string{"max_tokens", "max_output_tokens"}},
		{"max tokens tgi", TGI, `{"input":"x","max_output_tokens":7}`, map[string]string{"max_tokens": `7`}, []string{"max_completion_tokens"}},
		{"sampling", SGLang, `{"input":"x","temperature":0.5,"top_p":0.25}`, map[string]string{"temperature": `0.5`, "top_p": `0.25`}, nil},
		{"effort vllm", VLLM, `{"input":"x","reasoning":{"effort":"high","summary":"auto"}}`, map[string]string{"reasoning_effort": `"high"`}, []string{"reasoning"}},
		{"effort llamacpp", LlamaCpp, `{"input":"x","reasoning":{"effort":"low"}}`, map[string]string{"chat_template_kwargs": `{"reasoning_effort":"low"}`}, []string{"reasoning_effort"}},
		{"effort tgi", TGI, `{"input":"x","reasoning":{"effort":"low"}}`, nil, []string{"reasoning_effort", "chat_template_kwargs"}},
		{"json schema", VLLM, `{"input":"x","text":{"format":{"type":"json_schema","name":"p","schema":{"type":"object"},"strict":true}}}`,
			map[string]string{"response_format": `{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object"},"strict":true}}`}, nil},
		{"text format", VLLM, `{"input":"x","text":{"format":{"type":"text"}}}`, nil, []string{"response_format", "text"}},
		{"function tool", VLLM, `{"input":"x","tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object"},"strict":false}]}`,
			map[string]string{"tools": `[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"},"strict":false}}]`}, nil},
		{"custom tool as function", VLLM, `{"input":"x","tools":[{"type":"custom","name":"sh","description":"Run."}],"tool_choice":{"type":"custom","name":"sh"}}`,
			map[string]string{
				"tools":       `[{"type":"function","function":{"name":"sh","description":"Run.","parameters":` + customParams + `}}]`,
				"tool_choice": `{"type":"function","function":{"name":"sh"}}`,
			}, nil},
		{"custom tool native", OpenAI, `{"input":"x","tools":[{"type":"custom","name":"sh","format":{"type":"grammar","syntax":"regex","definition":"a+"}}],"tool_choice":{"type":"custom","name":"sh"}}`,
			map[string]string{
				"tools":       `[{"type":"custom","custom":{"name":"sh","format":{"type":"grammar","grammar":{"syntax":"regex","definition":"a+"}}}}]`,
				"tool_choice": `{"type":"custom","custom":{"name":"sh"}}`,
			}, nil},
		{"tool choice function", VLLM, `{"input":"x","tool_choice":{"type":"function","name":"f"}}`, map[string]string{"tool_choice": `{"type":"function","function":{"name":"f"}}`}, nil},
		{"tool choice string", VLLM, `{"input":"x","tool_choice":"required"}`, map[string]string{"tool_choice": `"required"`}, nil},
		{"consecutive calls merge", VLLM, `{"input":[{"role":"user","content":"u"},` +
			`{"type":"function_call","call_id":"a","name":"f","arguments":"{}"},{"type":"function_call","call_id":"b","name":"f","arguments":"{\"x\":1}"},` +
			`{"type":"function_call_output","call_id":"a","output":"1"},{"type":"function_call_output","call_id":"b","output":"2"}]}`,
			map[string]string{
				"messages.#":              `4`,
				"messages.1":              `{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"b","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]}`,
				"messages.2":              `{"role":"tool","tool_call_id":"a","content":"1"}`,
				"messages.3.tool_call_id": `"b"`,
			}, nil},
		{"calls join the assistant text before them", VLLM, `{"input":[{"role":"assistant","content":[{"type":"output_text","text":"Let me look."}]},{"type":"reasoning","summary":[]},{"type":"function_call","call_id":"a","name":"f","arguments":"{}"}]}`,
			map[string]string{"messages": `[{"role":"assistant","content":"Let me look.","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]}]`}, nil},
		{"custom call history", VLLM, `{"input":[{"type":"custom_tool_call","call_id":"c","name":"sh","input":"echo \"hi\""},{"type":"custom_tool_call_output","call_id":"c","output":"hi"}]}`,
			map[string]string{
				"messages.0.tool_calls.0.function.arguments": `"{\"input\":\"echo \\\"hi\\\"\"}"`,
				"messages.1": `{"role":"tool","tool_call_id":"c","content":"hi"}`,
			}, nil},
		{"developer to system", TGI, `{"input":[{"role":"developer","content":"d"}]}`, map[string]string{"messages.0.role": `"system"`}, nil},
		{"developer kept", OpenAI, `{"input":[{"role":"developer","content":"d"}]}`, map[string]string{"messages.0.role": `"developer"`}, nil},
		{"text parts joined", VLLM, `{"input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_text","text":"b"}]}]}`,
			map[string]string{"messages.0.content": `"a\nb"`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, e := ResponsesRequest(nil, []byte(c.body), c.d)
			if e != nil {
				t.Fatal(e)
			}
			expectJSON(t, out, c.want, c.absent)
		})
	}
}

func TestResponsesRequestErrors(t *testing.T) {
	cases := []struct {
		name, body, param, code string
	}{
		{"not json", `{"input":`, "", "invalid_json"},
		{"input number", `{"input":3}`, "input", "invalid_type"},
		{"item not object", `{"input":["x"]}`, "input[0]", "invalid_type"},
		{"image part", `{"input":[{"role":"user","content":[{"type":"input_image","image_url":"http://x"}]}]}`, "input[0].content[0].type", "unsupported_parameter"},
		{"item reference", `{"input":[{"role":"user","content":"a"},{"type":"item_reference","id":"msg_1"}]}`, "input[1].type", "unsupported_parameter"},
		{"bad role", `{"input":[{"role":"tool","content":"a"}]}`, "input[0].role", "invalid_value"},
		{"call without id", `{"input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, "input[0].call_id", "missing_required_parameter"},
		{"output image", `{"input":[{"type":"function_call_output","call_id":"a","output":[{"type":"input_image"}]}]}`, "input[0].output[0].type", "unsupported_parameter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, e := ResponsesRequest([]byte("keep"), []byte(c.body), VLLM)
			if e == nil {
				t.Fatalf("accepted: %s", out)
			}
			if e.Param != c.param || e.Code != c.code || e.Status != 400 {
				t.Fatalf("err = %+v, want param %q code %q", e, c.param, c.code)
			}
			if string(out) != "keep" {
				t.Fatalf("dst = %q", out)
			}
		})
	}
}

func TestResponsesResponseGolden(t *testing.T) {
	for _, g := range goldenCases(t, "responses/response", "engine") {
		t.Run(g.Name, func(t *testing.T) {
			engine, req := g.read(t, "engine"), g.read(t, "req")
			keepE, keepR := bytes.Clone(engine), bytes.Clone(req)
			out, e := ResponsesResponse(nil, engine, req, g.Dialect, respMeta)
			if e != nil {
				t.Fatal(e)
			}
			unchanged(t, "engine reply", keepE, engine)
			unchanged(t, "request", keepR, req)
			oaischema.Validate(t, "Response", out)
			checkResponse(t, out, engine)
			checkGolden(t, g.path("out"), out)
		})
	}
}

// checkResponse reads out with the official SDK and checks what a client relies on.
func checkResponse(t *testing.T, out, engine []byte) responses.Response {
	t.Helper()
	var r responses.Response
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("openai-go cannot read the response: %v", err)
	}
	if r.ID != respMeta.ID || int64(r.CreatedAt) != respMeta.CreatedAt || r.Model != respMeta.Model || r.Object != "response" {
		t.Errorf("id/created_at/model/object = %q/%v/%q/%q", r.ID, r.CreatedAt, r.Model, r.Object)
	}
	msg := gjson.GetBytes(engine, "choices.0.message")
	if content := msg.Get("content"); content.Type == gjson.String && content.Str != "" && r.OutputText() != content.Str {
		t.Errorf("OutputText() = %q, want %q", r.OutputText(), content.Str)
	}
	calls := 0
	ids := map[string]bool{}
	for _, it := range r.Output {
		if ids[it.ID] {
			t.Errorf("duplicate item id %s", it.ID)
		}
		ids[it.ID] = true
		if it.Type == "function_call" || it.Type == "custom_tool_call" {
			calls++
			if it.CallID == "" || it.Name == "" {
				t.Errorf("%s item without call_id or name", it.Type)
			}
		}
	}
	if want := int(msg.Get("tool_calls.#").Int()); calls != want {
		t.Errorf("%d tool call items, want %d", calls, want)
	}
	wantStatus := responses.ResponseStatusCompleted
	if gjson.GetBytes(engine, "choices.0.finish_reason").Str == "length" {
		wantStatus = responses.ResponseStatusIncomplete
		if r.IncompleteDetails.Reason != "max_output_tokens" {
			t.Errorf("incomplete_details = %+v", r.IncompleteDetails)
		}
	}
	if r.Status != wantStatus {
		t.Errorf("status %q, want %q", r.Status, wantStatus)
	}
	if u := r.Usage; u.TotalTokens != u.InputTokens+u.OutputTokens {
		t.Errorf("usage total %d != %d + %d", u.TotalTokens, u.InputTokens, u.OutputTokens)
	}
	if gjson.GetBytes(out, "output_text").Exists() {
		t.Error("output_text is SDK-side only and must not be on the wire")
	}
	return r
}

// TestResponsesResponse asserts single behaviours on small replies.
func TestResponsesResponse(t *testing.T) {
	reply := func(msg, finish string) string {
		return `{"choices":[{"index":0,"message":` + msg + `,"finish_reason":"` + finish + `"}],"usage":{"prompt_tokens":4,"completion_tokens":6,"completion_tokens_details":{"reasoning_tokens":2}}}`
	}
	cases := []struct {
		name, req, engine string
		want              map[string]string
		absent            []string
	}{
		{"defaults echoed", `{"model":"m","input":"x"}`, reply(`{"content":"hi"}`, "stop"), map[string]string{
			"temperature": `1`, "top_p": `1`, "max_output_tokens": `null`, "tools": `[]`, "tool_choice": `"auto"`,
			"text": `{"format":{"type":"text"}}`, "reasoning": `{"effort":null,"summary":null}`, "metadata": `{}`,
			"background": `false`, "store": `true`, "truncation": `"disabled"`, "parallel_tool_calls": `false`,
			"error": `null`, "incomplete_details": `null`, "instructions": `null`, "previous_response_id": `null`,
		}, []string{"user", "service_tier", "output_text", "completed_at"}},
		{"settings echoed", `{"input":"x","temperature":0.1,"top_p":0.2,"max_output_tokens":30,"tool_choice":"none","user":"u","background":true,"metadata":{"k":"v"},"reasoning":{"effort":"low","generate_summary":"concise"}}`,
			reply(`{"content":"hi"}`, "stop"), map[string]string{
				"temperature": `0.1`, "top_p": `0.2`, "max_output_tokens": `30`, "tool_choice": `"none"`, "user": `"u"`,
				"background": `true`, "metadata": `{"k":"v"}`, "reasoning": `{"effort":"low","summary":"concise"}`,
			}, nil},
		{"function tool gets strict and parameters", `{"input":"x","tools":[{"type":"function","name":"f"}]}`, reply(`{"content":"hi"}`, "stop"),
			map[string]string{"tools": `[{"type":"function","name":"f","parameters":null,"strict":null}]`}, nil},
		{"usage", `{}`, reply(`{"content":"hi"}`, "stop"), map[string]string{
			"usage": `{"input_tokens":4,"input_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},"output_tokens":6,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":10}`,
		}, nil},
		{"incomplete", `{}`, reply(`{"content":"cut"}`, "length"), map[string]string{
			"status": `"incomplete"`, "incomplete_details": `{"reason":"max_output_tokens"}`, "output.0.status": `"incomplete"`,
		}, nil},
		{"deterministic item ids", `{"tools":[{"type":"custom","name":"sh"}]}`,
			reply(`{"content":"a","reasoning_content":"r","tool_calls":[{"id":"x","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"y","type":"function","function":{"name":"sh","arguments":"{\"input\":\"ls\"}"}}]}`, "tool_calls"),
			map[string]string{
				"output.#.id": `["rs_7Hq2xLm9_0","msg_7Hq2xLm9_1","fc_7Hq2xLm9_2","ctc_7Hq2xLm9_3"]`,
				"output.3":    `{"id":"ctc_7Hq2xLm9_3","type":"custom_tool_call","call_id":"y","name":"sh","input":"ls"}`,
			}, nil},
		{"no summary unless asked", `{"reasoning":{"effort":"high"}}`, reply(`{"content":"a","reasoning_content":"r"}`, "stop"),
			map[string]string{"output.0.summary": `[]`, "output.0.content": `[{"type":"reasoning_text","text":"r"}]`}, nil},
		{"summary when asked", `{"reasoning":{"summary":"auto"}}`, reply(`{"content":"a","reasoning_content":"r"}`, "stop"),
			map[string]string{"output.0.summary": `[{"type":"summary_text","text":"r"}]`}, nil},
		{"call only has no message", `{}`, reply(`{"content":"","tool_calls":[{"id":"x","type":"function","function":{"name":"f","arguments":"{}"}}]}`, "tool_calls"),
			map[string]string{"output.#": `1`, "output.0.type": `"function_call"`, "output.0.call_id": `"x"`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, e := ResponsesResponse(nil, []byte(c.engine), []byte(c.req), VLLM, respMeta)
			if e != nil {
				t.Fatal(e)
			}
			oaischema.Validate(t, "Response", out)
			expectJSON(t, out, c.want, c.absent)
		})
	}
}

func TestResponsesResponseErrors(t *testing.T) {
	out, e := ResponsesResponse([]byte("keep"), []byte(`{"choices":[]}`), []byte(`{}`), VLLM, respMeta)
	if e == nil || e.Status != 502 || string(out) != "keep" {
		t.Fatalf("err = %v, out = %q", e, out)
	}
	if _, e := ResponsesResponse(nil, []byte(`{}`), nil, Dialect("x"), respMeta); e == nil {
		t.Fatal("unknown dialect accepted")
	}
}

func TestResponsesObjectGolden(t *testing.T) {
	failure, _ := EngineError(VLLM, 500, []byte(`{"object":"error","message":"boom"}`))
	for _, g := range goldenCases(t, "responses/object", "req") {
		for _, status := range []string{"queued", "in_progress", "failed"} {
			t.Run(g.Name+"/"+status, func(t *testing.T) {
				req := g.read(t, "req")
				keep := bytes.Clone(req)
				out := ResponsesObject(nil, req, respMeta, status, failure)
				unchanged(t, "request", keep, req)
				oaischema.Validate(t, "Response", out)
				var r responses.Response
				if err := json.Unmarshal(out, &r); err != nil {
					t.Fatal(err)
				}
				if string(r.Status) != status || len(r.Output) != 0 {
					t.Errorf("status %q with %d items", r.Status, len(r.Output))
				}
				if (status == "failed") != (r.Error.Message != "") {
					t.Errorf("status %s with error %+v", status, r.Error)
				}
				checkGolden(t, g.path(status+".out"), out)
			})
		}
	}
}

func TestResponsesObjectErrorCodes(t *testing.T) {
	cases := []struct {
		status int
		body   string
		code   string
	}{
		{500, `{}`, "server_error"},
		{429, `{}`, "server_error"}, // engine overload is a 503 to clients
		{400, `{"error":{"message":"bad"}}`, "invalid_prompt"},
	}
	for _, c := range cases {
		e, _ := EngineError(VLLM, c.status, []byte(c.body))
		out := ResponsesObject(nil, []byte(`{}`), respMeta, "failed", e)
		oaischema.Validate(t, "Response", out)
		if got := gjson.GetBytes(out, "error.code").Str; got != c.code {
			t.Errorf("%d: code %q, want %q", c.status, got, c.code)
		}
	}
	out := ResponsesObject(nil, []byte(`not json`), respMeta, "failed", nil)
	oaischema.Validate(t, "Response", out)
	if gjson.GetBytes(out, "error.code").Str != "server_error" {
		t.Errorf("failed without error: %s", out)
	}
}

func FuzzResponsesRequest(f *testing.F) {
	seedGolden(f, "responses/request", "in", func(g goldenCase, b []byte) { f.Add(b, uint8(dialectIndex(g.Dialect))) })
	f.Fuzz(func(t *testing.T, body []byte, di uint8) {
		d := Dialects[int(di)%len(Dialects)]
		keep := bytes.Clone(body)
		out, e := ResponsesRequest(nil, body, d)
		unchanged(t, "body", keep, body)
		if e == nil && !json.Valid(out) {
			t.Fatalf("accepted %q but wrote invalid JSON %q", body, out)
		}
		if e != nil && (e.Status < 400 || e.Message == "") {
			t.Fatalf("odd error %+v", e)
		}
	})
}

func FuzzResponsesResponse(f *testing.F) {
	seedGolden(f, "responses/response", "engine", func(g goldenCase, b []byte) { f.Add(b, g.read(f, "req"), uint8(dialectIndex(g.Dialect))) })
	f.Fuzz(func(t *testing.T, engine, req []byte, di uint8) {
		d := Dialects[int(di)%len(Dialects)]
		keepE, keepR := bytes.Clone(engine), bytes.Clone(req)
		out, e := ResponsesResponse(nil, engine, req, d, respMeta)
		unchanged(t, "engine", keepE, engine)
		unchanged(t, "req", keepR, req)
		if e == nil && !json.Valid(out) {
			t.Fatalf("wrote invalid JSON %q", out)
		}
		if obj := ResponsesObject(nil, req, respMeta, "queued", nil); !json.Valid(obj) {
			t.Fatalf("object for %q is not JSON: %q", req, obj)
		}
	})
}

// typicalResponsesRequest is a ~2 KB agent turn with two tools, in Responses form.
var typicalResponsesRequest = []byte(`{"model":"llama-3.1-8b","input":[` +
	`{"role":"developer","content":"You are a careful assistant for an operations team. Answer briefly, cite tool results, and never guess at numbers you can look up."},` +
	`{"role":"user","content":[{"type":"input_text","text":"What is the weather in Paris and in Rome right now, and which is warmer? Also look up our runbook entry for heat alerts so I can tell the team what to do if it gets above 30 degrees. Keep the answer short."}]},` +
	`{"type":"reasoning","id":"rs_1","summary":[]},` +
	`{"type":"function_call","id":"fc_1","call_id":"call_a1","name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"c\"}","status":"completed"},` +
	`{"type":"function_call","id":"fc_2","call_id":"call_b2","name":"get_weather","arguments":"{\"city\":\"Rome\",\"unit\":\"c\"}","status":"completed"},` +
	`{"type":"function_call_output","call_id":"call_a1","output":"{\"city\":\"Paris\",\"temp\":24,\"sky\":\"partly cloudy\",\"wind_kph\":12}"},` +
	`{"type":"function_call_output","call_id":"call_b2","output":"{\"city\":\"Rome\",\"temp\":29,\"sky\":\"clear\",\"wind_kph\":6}"},` +
	`{"type":"message","role":"assistant","id":"msg_1","status":"completed","content":[{"type":"output_text","text":"Rome is warmer (29C vs 24C). Let me find the runbook entry.","annotations":[]}]},` +
	`{"type":"function_call","id":"fc_3","call_id":"call_c3","name":"search_docs","arguments":"{\"query\":\"heat alert runbook\"}","status":"completed"},` +
	`{"type":"function_call_output","call_id":"call_c3","output":"Runbook 7.2 Heat alerts: above 30C move batch jobs to the night window, raise fan curves on rack B, and notify facilities. Below 30C no action is needed beyond monitoring dashboards every hour."}],` +
	`"tools":[{"type":"function","name":"get_weather","description":"Current weather for a city, with temperature, sky and wind.","parameters":{"type":"object","properties":{"city":{"type":"string","description":"City name"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"],"additionalProperties":false},"strict":true},` +
	`{"type":"function","name":"search_docs","description":"Search the internal runbooks and return the best matching passage.","parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"],"additionalProperties":false},"strict":true}],` +
	`"tool_choice":"auto","max_output_tokens":512,"temperature":0.2,"top_p":0.9,"reasoning":{"effort":"low","summary":"auto"},"text":{"format":{"type":"text"}},` +
	`"metadata":{"completion_window":"15m","completion_webhook":"https://hooks.example.com/sail"},"user":"ops-bot","store":true,"background":true}`)

func BenchmarkResponsesRequest(b *testing.B) {
	var dst []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(typicalResponsesRequest)))
	for b.Loop() {
		out, e := ResponsesRequest(dst[:0], typicalResponsesRequest, LlamaCpp)
		if e != nil {
			b.Fatal(e)
		}
		dst = out
	}
}

func BenchmarkResponsesResponse(b *testing.B) {
	var dst []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(typicalEngineReply)))
	for b.Loop() {
		out, e := ResponsesResponse(dst[:0], typicalEngineReply, typicalResponsesRequest, VLLM, respMeta)
		if e != nil {
			b.Fatal(e)
		}
		dst = out
	}
}

// TestResponsesAgentLoop feeds a response's output items back as the next turn's input, as the
// Agents SDK and manual loops do, and checks the engine sees one coherent conversation.
func TestResponsesAgentLoop(t *testing.T) {
	g := goldenCase{Name: "llamacpp.text_then_call", Dialect: LlamaCpp, Dir: "responses/response"}
	out, e := ResponsesResponse(nil, g.read(t, "engine"), g.read(t, "req"), g.Dialect, respMeta)
	if e != nil {
		t.Fatal(e)
	}
	callID := gjson.GetBytes(out, `output.#(type=="function_call").call_id`).Str
	next := `{"model":"m","input":[{"role":"user","content":"Weather in Paris?"},` +
		gjson.GetBytes(out, "output").Raw[1:len(gjson.GetBytes(out, "output").Raw)-1] +
		`,{"type":"function_call_output","call_id":"` + callID + `","output":"18C"}]}`
	chat, e := ResponsesRequest(nil, []byte(next), g.Dialect)
	if e != nil {
		t.Fatalf("%v\n%s", e, next)
	}
	expectJSON(t, chat, map[string]string{
		"messages.#":                       `3`,
		"messages.1.role":                  `"assistant"`,
		"messages.1.content":               `"Let me check Paris first."`,
		"messages.1.tool_calls.0.id":       strconv.Quote(callID),
		"messages.1.tool_calls.0.function": `{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}`,
		"messages.2":                       `{"role":"tool","tool_call_id":` + strconv.Quote(callID) + `,"content":"18C"}`,
	}, nil)
}
