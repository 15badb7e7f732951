package translate

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/tidwall/gjson"

	"sailshim/internal/oaischema"
)

func TestChatRequestGolden(t *testing.T) {
	for _, g := range goldenCases(t, "chat/request", "in") {
		t.Run(g.Name, func(t *testing.T) {
			in := g.read(t, "in")
			keep := bytes.Clone(in)
			out, e := ChatRequest(nil, in, g.Dialect)
			if e != nil {
				t.Fatal(e)
			}
			unchanged(t, "body", keep, in)
			if g.Dialect != TGI { // TGI's response_format is its own grammar object
				oaischema.Validate(t, "CreateChatCompletionRequest", out)
			}
			checkGolden(t, g.path("out"), out)
		})
	}
}

// TestChatRequest asserts, per rewrite, what an engine receives.
func TestChatRequest(t *testing.T) {
	const base = `{"model":"m","messages":[{"role":"developer","content":"d"},{"role":"user","content":"u"}],` +
		`"max_completion_tokens":9,"metadata":{"completion_window":"asap"},"user":"x","store":true,"service_tier":"auto",` +
		`"reasoning_effort":"high","response_format":{"type":"json_object"},` +
		`"tools":[{"type":"custom","custom":{"name":"sh","description":"Run it."}}],"tool_choice":{"type":"custom","custom":{"name":"sh"}}}`
	cases := []struct {
		d      Dialect
		want   map[string]string // gjson path → raw JSON
		absent []string
	}{
		{VLLM, map[string]string{
			"max_completion_tokens":       `9`,
			"messages.0.role":             `"system"`,
			"reasoning_effort":            `"high"`,
			"response_format":             `{"type":"json_object"}`,
			"tools.0.type":                `"function"`,
			"tools.0.function.name":       `"sh"`,
			"tools.0.function.parameters": customParams,
			"tool_choice":                 `{"type":"function","function":{"name":"sh"}}`,
		}, []string{"max_tokens", "metadata", "user", "store", "service_tier"}},
		{SGLang, map[string]string{"max_completion_tokens": `9`, "messages.0.role": `"system"`, "reasoning_effort": `"high"`}, nil},
		{TGI, map[string]string{
			"max_tokens":      `9`,
			"messages.0.role": `"system"`,
			"response_format": `{"type":"json","value":{"type":"object"}}`,
		}, []string{"max_completion_tokens", "reasoning_effort", "chat_template_kwargs"}},
		{LlamaCpp, map[string]string{
			"max_tokens":           `9`,
			"chat_template_kwargs": `{"reasoning_effort":"high"}`,
			"response_format":      `{"type":"json_schema","json_schema":{"name":"json_object","schema":{"type":"object"}}}`,
		}, []string{"max_completion_tokens", "reasoning_effort"}},
		{OpenAI, map[string]string{
			"max_completion_tokens":   `9`,
			"messages.0.role":         `"developer"`,
			"tools.0":                 `{"type":"custom","custom":{"name":"sh","description":"Run it."}}`,
			"tool_choice":             `{"type":"custom","custom":{"name":"sh"}}`,
			"response_format":         `{"type":"json_object"}`,
			"tools.0.custom.name":     `"sh"`,
			"messages.1.content":      `"u"`,
			"reasoning_effort":        `"high"`,
			"model":                   `"m"`,
			"tools.#":                 `1`,
			"messages.#":              `2`,
			"tool_choice.custom.name": `"sh"`,
		}, []string{"metadata", "user", "store", "service_tier"}},
	}
	for _, c := range cases {
		t.Run(string(c.d), func(t *testing.T) {
			out, e := ChatRequest(nil, []byte(base), c.d)
			if e != nil {
				t.Fatal(e)
			}
			expectJSON(t, out, c.want, c.absent)
		})
	}
}

// TestChatRequestHistoryRewrite covers how a message is judged to need a rewrite: the role read
// from the first member or further on, and custom tool calls spelled plainly or with escapes.
func TestChatRequestHistoryRewrite(t *testing.T) {
	const custom = `{"id":"c1","type":"custom","custom":{"name":"sh","input":"ls"}}`
	const asFunction = `{"id":"c1","type":"function","function":{"name":"sh","arguments":"{\"input\":\"ls\"}"}}`
	cases := []struct {
		name, msg, want string
	}{
		{"developer first", `{"role":"developer","content":"d"}`, `{"role":"system","content":"d"}`},
		{"developer later", `{"content":"d", "role" : "developer"}`, `{"content":"d","role":"system"}`},
		{"developer escaped", `{"r\u006fle":"dev\u0065loper","content":"d"}`, `{"role":"system","content":"d"}`},
		{"first role wins", `{"role":"user","role":"developer","content":"d"}`, `{"role":"user","role":"developer","content":"d"}`},
		{"custom call", `{"role":"assistant","content":null,"tool_calls":[` + custom + `]}`,
			`{"role":"assistant","content":null,"tool_calls":[` + asFunction + `]}`},
		{"custom call escaped", `{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"\u0063ustom","custom":{"name":"sh","input":"ls"}}]}`,
			`{"role":"assistant","content":null,"tool_calls":[` + asFunction + `]}`},
		{"custom only in text", `{"role":"assistant","content":"a custom tool","tool_calls":[{"id":"c1","type":"function","function":{"name":"custom","arguments":"{}"}}]}`,
			`{"role":"assistant","content":"a custom tool","tool_calls":[{"id":"c1","type":"function","function":{"name":"custom","arguments":"{}"}}]}`},
		{"user kept as written", `{ "role" : "user" , "content" : "u" }`, `{ "role" : "user" , "content" : "u" }`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, e := ChatRequest(nil, []byte(`{"model":"m","messages":[`+c.msg+`]}`), VLLM)
			if e != nil {
				t.Fatal(e)
			}
			if got := gjson.GetBytes(out, "messages.0").Raw; got != c.want {
				t.Errorf("message\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestChatRequestCustomToolDescription(t *testing.T) {
	body := `{"model":"m","messages":[],"tools":[{"type":"custom","custom":{"name":"p","description":"Patch \"files\".","format":{"type":"grammar","grammar":{"syntax":"regex","definition":"^a+\n$"}}}}]}`
	out, e := ChatRequest(nil, []byte(body), VLLM)
	if e != nil {
		t.Fatal(e)
	}
	desc := gjson.GetBytes(out, "tools.0.function.description").Str
	for _, want := range []string{`Patch "files".`, "regex grammar", "^a+\n$"} {
		if !strings.Contains(desc, want) {
			t.Errorf("description %q lacks %q", desc, want)
		}
	}
}

func TestChatRequestErrors(t *testing.T) {
	cases := []struct {
		name string
		body string
		d    Dialect
		code string
	}{
		{"not json", `{"model":`, VLLM, "invalid_json"},
		{"array", `[1]`, VLLM, "invalid_json"},
		{"unknown dialect", `{}`, Dialect("nope"), "internal_error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := []byte("prefix")
			out, e := ChatRequest(dst, []byte(c.body), c.d)
			if e == nil || e.Code != c.code {
				t.Fatalf("err = %v, want code %s", e, c.code)
			}
			if string(out) != "prefix" {
				t.Fatalf("dst changed on error: %q", out)
			}
		})
	}
}

func TestChatResponseGolden(t *testing.T) {
	for _, g := range goldenCases(t, "chat/response", "engine") {
		t.Run(g.Name, func(t *testing.T) {
			engine, req := g.read(t, "engine"), g.read(t, "req")
			keepE, keepR := bytes.Clone(engine), bytes.Clone(req)
			out, e := ChatResponse(nil, engine, req, g.Dialect, chatMeta)
			if e != nil {
				t.Fatal(e)
			}
			unchanged(t, "engine reply", keepE, engine)
			unchanged(t, "request", keepR, req)
			oaischema.Validate(t, "CreateChatCompletionResponse", out)
			checkChatCompletion(t, out)
			checkGolden(t, g.path("out"), out)
		})
	}
}

// checkChatCompletion reads out with the official SDK and checks what the matrix promises.
func checkChatCompletion(t *testing.T, out []byte) openai.ChatCompletion {
	t.Helper()
	var cc openai.ChatCompletion
	if err := json.Unmarshal(out, &cc); err != nil {
		t.Fatalf("openai-go cannot read the reply: %v", err)
	}
	if cc.ID != chatMeta.ID || cc.Created != chatMeta.CreatedAt || cc.Model != chatMeta.Model || cc.Object != "chat.completion" {
		t.Errorf("id/created/model/object = %q/%d/%q/%q", cc.ID, cc.Created, cc.Model, cc.Object)
	}
	if len(cc.Choices) != 1 || cc.Choices[0].Index != 0 {
		t.Fatalf("want exactly one choice with index 0, got %d", len(cc.Choices))
	}
	ch := cc.Choices[0]
	if fr := ch.FinishReason; fr != "stop" && fr != "tool_calls" {
		t.Errorf("finish_reason %q", fr)
	}
	if (ch.FinishReason == "tool_calls") != (len(ch.Message.ToolCalls) > 0) {
		t.Errorf("finish_reason %q with %d tool calls", ch.FinishReason, len(ch.Message.ToolCalls))
	}
	for _, absent := range []string{"system_fingerprint", "service_tier", "timings", "prompt_logprobs", "kv_transfer_params", "choices.0.stop_reason"} {
		if gjson.GetBytes(out, absent).Exists() {
			t.Errorf("%s leaked into the reply", absent)
		}
	}
	if lp := gjson.GetBytes(out, "choices.0.logprobs"); lp.Type != gjson.Null {
		t.Errorf("logprobs = %s, want null", lp.Raw)
	}
	if c := gjson.GetBytes(out, "choices.0.message.content"); len(ch.Message.ToolCalls) > 0 && c.Type == gjson.String && c.Str == "" {
		t.Error(`content "" beside tool calls, want null`)
	}
	if u := cc.Usage; u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage total %d != %d + %d", u.TotalTokens, u.PromptTokens, u.CompletionTokens)
	}
	return cc
}

// TestChatResponse asserts single behaviours on small replies.
func TestChatResponse(t *testing.T) {
	const customReq = `{"tools":[{"type":"custom","custom":{"name":"sh"}},{"type":"function","function":{"name":"f"}}]}`
	reply := func(msg, finish string) string {
		return `{"choices":[{"index":0,"message":` + msg + `,"finish_reason":"` + finish + `"}],"usage":{"prompt_tokens":1,"completion_tokens":2}}`
	}
	cases := []struct {
		name   string
		req    string
		engine string
		want   map[string]string
		absent []string
	}{
		{"length becomes stop", `{}`, reply(`{"content":"cut"}`, "length"),
			map[string]string{"choices.0.finish_reason": `"stop"`, "choices.0.message.content": `"cut"`, "usage.total_tokens": `3`}, nil},
		{"content_filter becomes stop", `{}`, reply(`{"content":null}`, "content_filter"),
			map[string]string{"choices.0.finish_reason": `"stop"`, "choices.0.message.content": `""`}, nil},
		{"tool calls win over length", `{}`, reply(`{"content":"","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]}`, "length"),
			map[string]string{"choices.0.finish_reason": `"tool_calls"`, "choices.0.message.content": `null`, "choices.0.message.tool_calls.0.id": `"a"`}, nil},
		{"empty tool_calls is no call", `{}`, reply(`{"content":"hi","tool_calls":[]}`, "stop"),
			map[string]string{"choices.0.finish_reason": `"stop"`}, []string{"choices.0.message.tool_calls"}},
		{"reasoning kept in one field", `{}`, reply(`{"content":"a","reasoning":"r"}`, "stop"),
			map[string]string{"choices.0.message.reasoning_content": `"r"`}, []string{"choices.0.message.reasoning"}},
		{"custom call restored", customReq, reply(`{"tool_calls":[{"id":"c1","type":"function","function":{"name":"sh","arguments":"{\"input\":\"ls -l\"}"}}]}`, "tool_calls"),
			map[string]string{"choices.0.message.tool_calls.0": `{"id":"c1","type":"custom","custom":{"name":"sh","input":"ls -l"}}`}, nil},
		{"custom call with non-object args keeps text", customReq, reply(`{"tool_calls":[{"id":"c1","type":"function","function":{"name":"sh","arguments":"ls -l"}}]}`, "tool_calls"),
			map[string]string{"choices.0.message.tool_calls.0.custom.input": `"ls -l"`}, nil},
		{"function of same-named request stays function", customReq, reply(`{"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}`, "tool_calls"),
			map[string]string{"choices.0.message.tool_calls.0.type": `"function"`}, nil},
		{"missing id derived", `{}`, reply(`{"tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}},{"type":"function","function":{"name":"f","arguments":"{}"}}]}`, "tool_calls"),
			map[string]string{"choices.0.message.tool_calls.0.id": `"call_7Hq2xLm9_0"`, "choices.0.message.tool_calls.1.id": `"call_7Hq2xLm9_1"`}, nil},
		{"object arguments stringified", `{}`, reply(`{"tool_calls":[{"id":"0","type":"function","function":{"name":"f","arguments":{"a":1}}}]}`, "stop"),
			map[string]string{"choices.0.message.tool_calls.0.function.arguments": `"{\"a\":1}"`}, nil},
		{"invalid utf-8 re-encoded", `{}`, reply("{\"content\":\"a\xffb\"}", "stop"),
			map[string]string{"choices.0.message.content": `"a\ufffdb"`}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, e := ChatResponse(nil, []byte(c.engine), []byte(c.req), VLLM, chatMeta)
			if e != nil {
				t.Fatal(e)
			}
			oaischema.Validate(t, "CreateChatCompletionResponse", out)
			expectJSON(t, out, c.want, c.absent)
		})
	}
}

func TestChatResponseErrors(t *testing.T) {
	for name, engine := range map[string]string{
		"not json":   `{"choices":`,
		"not object": `[]`,
		"no choices": `{"choices":[]}`,
		"no message": `{"choices":[{"index":0}]}`,
		"error body": `{"error":{"message":"x"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			out, e := ChatResponse([]byte("keep"), []byte(engine), nil, VLLM, chatMeta)
			if e == nil || e.Status != 502 {
				t.Fatalf("err = %v, want a 502", e)
			}
			if string(out) != "keep" {
				t.Fatalf("dst = %q", out)
			}
		})
	}
}

// expectJSON checks gjson paths against raw JSON values (compared compactly) and absences.
func expectJSON(t *testing.T, out []byte, want map[string]string, absent []string) {
	t.Helper()
	if !json.Valid(out) {
		t.Fatalf("not JSON: %s", out)
	}
	for path, raw := range want {
		got := gjson.GetBytes(out, path)
		if !got.Exists() {
			t.Errorf("%s missing in %s", path, out)
			continue
		}
		if compact(t, got.Raw) != compact(t, raw) {
			t.Errorf("%s = %s, want %s", path, got.Raw, raw)
		}
	}
	for _, path := range absent {
		if r := gjson.GetBytes(out, path); r.Exists() {
			t.Errorf("%s = %s, want absent", path, r.Raw)
		}
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	return b.String()
}

func FuzzChatRequest(f *testing.F) {
	seedGolden(f, "chat/request", "in", func(g goldenCase, b []byte) { f.Add(b, uint8(dialectIndex(g.Dialect))) })
	f.Fuzz(func(t *testing.T, body []byte, di uint8) {
		d := Dialects[int(di)%len(Dialects)]
		keep := bytes.Clone(body)
		out, e := ChatRequest(nil, body, d)
		unchanged(t, "body", keep, body)
		if e == nil && !json.Valid(out) {
			t.Fatalf("accepted %q but wrote invalid JSON %q", body, out)
		}
	})
}

func FuzzChatResponse(f *testing.F) {
	seedGolden(f, "chat/response", "engine", func(g goldenCase, b []byte) { f.Add(b, g.read(f, "req"), uint8(dialectIndex(g.Dialect))) })
	f.Fuzz(func(t *testing.T, engine, req []byte, di uint8) {
		d := Dialects[int(di)%len(Dialects)]
		keepE, keepR := bytes.Clone(engine), bytes.Clone(req)
		out, e := ChatResponse(nil, engine, req, d, chatMeta)
		unchanged(t, "engine", keepE, engine)
		unchanged(t, "req", keepR, req)
		if e == nil && !json.Valid(out) {
			t.Fatalf("wrote invalid JSON %q", out)
		}
	})
}

func dialectIndex(d Dialect) int {
	for i, x := range Dialects {
		if x == d {
			return i
		}
	}
	return 0
}

// typicalChatRequest is a ~2 KB agent turn with two tools.
var typicalChatRequest = []byte(`{"model":"llama-3.1-8b","messages":[` +
	`{"role":"developer","content":"You are a careful assistant for an operations team. Answer briefly, cite tool results, and never guess at numbers you can look up."},` +
	`{"role":"user","content":"What is the weather in Paris and in Rome right now, and which is warmer? Also look up our runbook entry for heat alerts so I can tell the team what to do if it gets above 30 degrees. Keep the answer short."},` +
	`{"role":"assistant","content":null,"tool_calls":[{"id":"call_a1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"unit\":\"c\"}"}},{"id":"call_b2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\",\"unit\":\"c\"}"}}]},` +
	`{"role":"tool","tool_call_id":"call_a1","content":"{\"city\":\"Paris\",\"temp\":24,\"sky\":\"partly cloudy\",\"wind_kph\":12}"},` +
	`{"role":"tool","tool_call_id":"call_b2","content":"{\"city\":\"Rome\",\"temp\":29,\"sky\":\"clear\",\"wind_kph\":6}"},` +
	`{"role":"assistant","content":"Rome is warmer (29C vs 24C). Let me find the runbook entry.","tool_calls":[{"id":"call_c3","type":"function","function":{"name":"search_docs","arguments":"{\"query\":\"heat alert runbook\"}"}}]},` +
	`{"role":"tool","tool_call_id":"call_c3","content":"Runbook 7.2 Heat alerts: above 30C move batch jobs to the night window, raise fan curves on rack B, and notify facilities. Below 30C no action is needed beyond monitoring dashboards every hour."}],` +
	`"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather for a city, with temperature, sky and wind.","parameters":{"type":"object","properties":{"city":{"type":"string","description":"City name"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"],"additionalProperties":false},"strict":true}},` +
	`{"type":"function","function":{"name":"search_docs","description":"Search the internal runbooks and return the best matching passage.","parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"],"additionalProperties":false},"strict":true}}],` +
	`"tool_choice":"auto","max_completion_tokens":512,"temperature":0.2,"top_p":0.9,"reasoning_effort":"low","parallel_tool_calls":false,` +
	`"metadata":{"completion_window":"15m","completion_webhook":"https://hooks.example.com/sail"},"user":"ops-bot","store":true}`)

var typicalEngineReply = []byte(`{"id":"chatcmpl-8f2b9c","object":"chat.completion","created":1750000001,"model":"/models/llama-3.1-8b",` +
	`"choices":[{"index":0,"message":{"role":"assistant","content":"Rome is warmer at 29C against 24C in Paris. Runbook 7.2 says that above 30C the team should move batch jobs to the night window, raise the fan curves on rack B and notify facilities; below that, keep watching the dashboards hourly.",` +
	`"reasoning_content":"Both temperatures are known; the runbook threshold is 30C and neither city exceeds it yet, so summarise the actions for when it does.","tool_calls":[]},"logprobs":null,"finish_reason":"stop","stop_reason":null}],` +
	`"usage":{"prompt_tokens":612,"total_tokens":700,"completion_tokens":88,"prompt_tokens_details":{"cached_tokens":512}},"prompt_logprobs":null,"kv_transfer_params":null,"system_fingerprint":null}`)

func BenchmarkChatRequest(b *testing.B) {
	var dst []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(typicalChatRequest)))
	for b.Loop() {
		out, e := ChatRequest(dst[:0], typicalChatRequest, LlamaCpp)
		if e != nil {
			b.Fatal(e)
		}
		dst = out
	}
}

func BenchmarkChatResponse(b *testing.B) {
	var dst []byte
	b.ReportAllocs()
	b.SetBytes(int64(len(typicalEngineReply)))
	for b.Loop() {
		out, e := ChatResponse(dst[:0], typicalEngineReply, typicalChatRequest, VLLM, chatMeta)
		if e != nil {
			b.Fatal(e)
		}
		dst = out
	}
}

// llama.cpp ignores a tool_choice naming one tool; the same constraint is sent as "required"
// over a tools list holding only that tool. Engines that honour the named form get it as is.
func TestNamedToolChoice(t *testing.T) {
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[` +
		`{"type":"function","function":{"name":"get_time","parameters":{"type":"object"}}},` +
		`{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}},` +
		`{"type":"custom","custom":{"name":"run_sql"}}],` +
		`"tool_choice":{"type":"function","function":{"name":"get_weather"}}}`)
	cases := []struct {
		d      Dialect
		tools  string
		choice string
	}{
		{LlamaCpp, `["get_weather"]`, `"required"`},
		{VLLM, `["get_time","get_weather","run_sql"]`, `{"type":"function","function":{"name":"get_weather"}}`},
	}
	for _, c := range cases {
		t.Run(string(c.d), func(t *testing.T) {
			out, e := ChatRequest(nil, body, c.d)
			if e != nil {
				t.Fatal(e)
			}
			if got := gjson.GetBytes(out, "tools.#.function.name").Raw; got != c.tools {
				t.Fatalf("tools %s, want %s", got, c.tools)
			}
			if got := gjson.GetBytes(out, "tool_choice").Raw; got != c.choice {
				t.Fatalf("tool_choice %s, want %s", got, c.choice)
			}
		})
	}
	resp := []byte(`{"model":"m","input":"x","tools":[{"type":"function","name":"a","parameters":{}},{"type":"custom","name":"b"}],"tool_choice":{"type":"custom","name":"b"}}`)
	out, e := ResponsesRequest(nil, resp, LlamaCpp)
	if e != nil {
		t.Fatal(e)
	}
	if got := gjson.GetBytes(out, "tools.#.function.name").Raw; got != `["b"]` || gjson.GetBytes(out, "tool_choice").Raw != `"required"` {
		t.Fatalf("responses: %s", out)
	}
}
