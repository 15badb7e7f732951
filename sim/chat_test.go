package sim

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

const weatherTool = `{"type":"function","function":{"name":"get_weather","description":"Weather for a city",
 "parameters":{"type":"object","properties":{"city":{"type":"string","minLength":2},"unit":{"type":"string","enum":["c","f"]},
 "days":{"type":"integer","minimum":1,"maximum":7}},"required":["city","unit"],"additionalProperties":false}}}`

const searchTool = `{"type":"function","function":{"name":"search","parameters":{"type":"object",
 "properties":{"query":{"type":"string"},"limit":{"type":"integer","exclusiveMinimum":0}},"required":["query"]}}}`

func TestChatReplies(t *testing.T) {
	tools := `"tools":[` + weatherTool + `,` + searchTool + `]`
	cases := []struct {
		name   string
		body   string
		status int
		check  func(t *testing.T, r gjson.Result)
	}{
		{"plain text reply has vLLM's shape", chatBody("sim-1", "hello there engine", ""), 200, func(t *testing.T, r gjson.Result) {
			wantStr(t, r, "object", "chat.completion")
			if !strings.HasPrefix(r.Get("id").Str, "chatcmpl-") || len(r.Get("id").Str) != len("chatcmpl-")+32 {
				t.Errorf("id = %q", r.Get("id").Str)
			}
			wantStr(t, r, "model", "sim-1")
			wantStr(t, r, "choices.0.message.role", "assistant")
			wantStr(t, r, "choices.0.finish_reason", "stop")
			wantRaw(t, r, "choices.0.stop_reason", "null")
			wantRaw(t, r, "choices.0.message.tool_calls", "[]")
			wantRaw(t, r, "usage.prompt_tokens_details", "null")
			words := countWords(r.Get("choices.0.message.content").Str)
			if words < 8 || words > 40 {
				t.Errorf("content has %d words, want 8–40", words)
			}
			wantInt(t, r, "usage.prompt_tokens", 3)
			wantInt(t, r, "usage.completion_tokens", int64(words))
			wantInt(t, r, "usage.total_tokens", int64(words)+3)
		}},
		{"model defaults to the first served", `{"messages":[{"role":"user","content":"hi"}]}`, 200, func(t *testing.T, r gjson.Result) {
			wantStr(t, r, "model", "sim-1")
		}},
		{"prompt tokens count every text part", `{"model":"sim-1","messages":[{"role":"system","content":"be brief"},
			{"role":"user","content":[{"type":"text","text":"one two"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"three"}]}]}`, 200,
			func(t *testing.T, r gjson.Result) { wantInt(t, r, "usage.prompt_tokens", 5) }},
		{"max_tokens cuts with length", chatBody("sim-1", "hello", `"max_tokens":3`), 200, func(t *testing.T, r gjson.Result) {
			wantStr(t, r, "choices.0.finish_reason", "length")
			wantInt(t, r, "usage.completion_tokens", 3)
			if n := countWords(r.Get("choices.0.message.content").Str); n != 3 {
				t.Errorf("content has %d words, want 3", n)
			}
		}},
		{"max_completion_tokens wins over max_tokens", chatBody("sim-1", "hello", `"max_completion_tokens":2,"max_tokens":100`), 200, func(t *testing.T, r gjson.Result) {
			wantStr(t, r, "choices.0.finish_reason", "length")
			wantInt(t, r, "usage.completion_tokens", 2)
		}},
		{"tokens directive gives exactly N", chatBody("sim-1", "load test [sim:tokens=100]", ""), 200, func(t *testing.T, r gjson.Result) {
			wantInt(t, r, "usage.completion_tokens", 100)
			wantStr(t, r, "choices.0.finish_reason", "stop")
			if n := countWords(r.Get("choices.0.message.content").Str); n != 100 {
				t.Errorf("content has %d words", n)
			}
		}},
		{"tokens directive zero gives empty content", chatBody("sim-1", "[sim:tokens=0]", ""), 200, func(t *testing.T, r gjson.Result) {
			wantStr(t, r, "choices.0.message.content", "")
			wantInt(t, r, "usage.completion_tokens", 0)
		}},
		{"tokens directive is still capped", chatBody("sim-1", "[sim:tokens=100]", `"max_tokens":10`), 200, func(t *testing.T, r gjson.Result) {
			wantInt(t, r, "usage.completion_tokens", 10)
			wantStr(t, r, "choices.0.finish_reason", "length")
		}},
		{"n returns n distinct choices", chatBody("sim-1", "hello", `"n":3`), 200, func(t *testing.T, r gjson.Result) {
			if got := r.Get("choices.#").Int(); got != 3 {
				t.Fatalf("%d choices", got)
			}
			if r.Get("choices.0.message.content").Str == r.Get("choices.1.message.content").Str {
				t.Error("choices 0 and 1 are identical")
			}
			wantInt(t, r, "choices.2.index", 2)
		}},
		{"stream false is fine", chatBody("sim-1", "hello", `"stream":false`), 200, nil},
		{"unknown fields are ignored", chatBody("sim-1", "hello", `"temperature":0.2,"seed":7,"priority":3`), 200, nil},
		{"tool_choice required calls a tool", chatBody("sim-1", "what now", tools+`,"tool_choice":"required"`), 200, func(t *testing.T, r gjson.Result) {
			wantToolCall(t, r, "get_weather", weatherTool)
		}},
		{"named tool_choice calls that tool", chatBody("sim-1", "what now", tools+`,"tool_choice":{"type":"function","function":{"name":"search"}}`), 200, func(t *testing.T, r gjson.Result) {
			wantToolCall(t, r, "search", searchTool)
		}},
		{"tool directive calls the first tool", chatBody("sim-1", "go [sim:tool]", tools), 200, func(t *testing.T, r gjson.Result) {
			wantToolCall(t, r, "get_weather", weatherTool)
		}},
		{"tool directive can name the tool", chatBody("sim-1", "go [sim:tool=search]", tools), 200, func(t *testing.T, r gjson.Result) {
			wantToolCall(t, r, "search", searchTool)
		}},
		{"mentioning a tool calls it", chatBody("sim-1", "please use search for cats", tools), 200, func(t *testing.T, r gjson.Result) {
			wantToolCall(t, r, "search", searchTool)
		}},
		{"no mention, no directive: text", chatBody("sim-1", "tell me a story", tools), 200, func(t *testing.T, r gjson.Result) {
			wantText(t, r)
		}},
		{"tool_choice none never calls", chatBody("sim-1", "use search [sim:tool]", tools+`,"tool_choice":"none"`), 200, func(t *testing.T, r gjson.Result) {
			wantText(t, r)
		}},
		{"a tool result gets text", `{"model":"sim-1",` + tools + `,"messages":[{"role":"user","content":"use search [sim:tool]"},
			{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"search","arguments":"{}"}}]},
			{"role":"tool","tool_call_id":"c1","content":"found 3 cats"}]}`, 200, func(t *testing.T, r gjson.Result) {
			wantText(t, r)
		}},
		{"tool without parameters gets empty arguments", chatBody("sim-1", "x", `"tools":[{"type":"function","function":{"name":"ping"}}],"tool_choice":"required"`), 200, func(t *testing.T, r gjson.Result) {
			wantStr(t, r, "choices.0.message.tool_calls.0.function.arguments", "{}")
		}},
		{"reasoning_effort adds reasoning_content", chatBody("sim-1", "think", `"reasoning_effort":"low"`), 200, func(t *testing.T, r gjson.Result) {
			wantReasoning(t, r)
		}},
		{"enable_thinking adds reasoning_content", chatBody("sim-1", "think", `"chat_template_kwargs":{"enable_thinking":true}`), 200, func(t *testing.T, r gjson.Result) {
			wantReasoning(t, r)
		}},
		{"without reasoning there is none", chatBody("sim-1", "think", `"chat_template_kwargs":{"enable_thinking":false}`), 200, func(t *testing.T, r gjson.Result) {
			wantRaw(t, r, "choices.0.message.reasoning_content", "null")
			if r.Get("usage.completion_tokens_details").Exists() {
				t.Error("completion_tokens_details without reasoning")
			}
		}},
		{"reasoning cut by max_tokens leaves no content", chatBody("sim-1", "think", `"reasoning_effort":"high","max_tokens":2`), 200, func(t *testing.T, r gjson.Result) {
			wantRaw(t, r, "choices.0.message.content", "null")
			wantStr(t, r, "choices.0.finish_reason", "length")
			wantInt(t, r, "usage.completion_tokens_details.reasoning_tokens", 2)
		}},
		{"json_object gives an object", chatBody("sim-1", "json please", `"response_format":{"type":"json_object"}`), 200, func(t *testing.T, r gjson.Result) {
			c := r.Get("choices.0.message.content").Str
			if !gjson.Valid(c) || !gjson.Parse(c).IsObject() {
				t.Errorf("content %q is not a JSON object", c)
			}
		}},
		{"json_schema content satisfies the schema", chatBody("sim-1", "extract", `"response_format":{"type":"json_schema","json_schema":{"name":"p","strict":true,"schema":`+personSchema+`}}`), 200, func(t *testing.T, r gjson.Result) {
			validate(t, compileSchema(t, personSchema), r.Get("choices.0.message.content").Str)
			wantStr(t, r, "choices.0.finish_reason", "stop")
		}},
		{"json_schema cut by max_tokens is length", chatBody("sim-1", "extract", `"max_tokens":2,"response_format":{"type":"json_schema","json_schema":{"name":"p","schema":`+personSchema+`}}`), 200, func(t *testing.T, r gjson.Result) {
			wantStr(t, r, "choices.0.finish_reason", "length")
			if c := r.Get("choices.0.message.content").Str; len(c) != 8 || gjson.Valid(c) {
				t.Errorf("content %q: want 8 bytes of cut JSON", c)
			}
		}},
		{"error directive answers that status", chatBody("sim-1", "[sim:error=503]", ""), 503, func(t *testing.T, r gjson.Result) {
			wantStr(t, r, "object", "error")
			wantStr(t, r, "type", "ServiceUnavailableError")
			wantInt(t, r, "code", 503)
		}},
		{"error directive 401 is vLLM's api-key answer", chatBody("sim-1", "[sim:error=401]", ""), 401, func(t *testing.T, r gjson.Result) {
			wantRaw(t, r, "@this", `{"error":"Unauthorized"}`)
		}},
		{"error directive out of range is ignored", chatBody("sim-1", "[sim:error=200]", ""), 200, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{})
			status, r, raw := call(t, s, "POST", "/v1/chat/completions", tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, raw)
			}
			if !gjson.Valid(raw) {
				t.Fatalf("reply is not JSON: %s", raw)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestChatErrors(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		status  int
		typ     string
		message string // substring
	}{
		{"unknown model", chatBody("gpt-9", "hi", ""), 404, "NotFoundError", "The model `gpt-9` does not exist."},
		{"malformed JSON", `{"model":"sim-1",`, 400, "BadRequestError", "JSON"},
		{"body not an object", `[1,2]`, 400, "BadRequestError", "object"},
		{"missing messages", `{"model":"sim-1"}`, 400, "BadRequestError", "messages"},
		{"messages not a list", `{"model":"sim-1","messages":"hi"}`, 400, "BadRequestError", "messages"},
		{"empty messages", `{"model":"sim-1","messages":[]}`, 400, "BadRequestError", "at least 1"},
		{"message without role", `{"model":"sim-1","messages":[{"content":"hi"}]}`, 400, "BadRequestError", "role"},
		{"content of wrong type", `{"model":"sim-1","messages":[{"role":"user","content":7}]}`, 400, "BadRequestError", "content"},
		{"model not a string", `{"model":7,"messages":[{"role":"user","content":"hi"}]}`, 400, "BadRequestError", "model"},
		{"streaming", chatBody("sim-1", "hi", `"stream":true`), 400, "BadRequestError", "Streaming"},
		{"n zero", chatBody("sim-1", "hi", `"n":0`), 400, "BadRequestError", "n must be"},
		{"n not integer", chatBody("sim-1", "hi", `"n":1.5`), 400, "BadRequestError", "integer"},
		{"max_tokens zero", chatBody("sim-1", "hi", `"max_tokens":0`), 400, "BadRequestError", "at least 1"},
		{"max_tokens over context", chatBody("sim-1", "hi", `"max_tokens":9000`), 400, "BadRequestError", "maximum context length is 8192"},
		{"required without tools", chatBody("sim-1", "hi", `"tool_choice":"required"`), 400, "BadRequestError", "`tools` must be set"},
		{"named tool not offered", chatBody("sim-1", "hi", `"tools":[`+searchTool+`],"tool_choice":{"type":"function","function":{"name":"nope"}}`), 400, "BadRequestError", "`nope`"},
		{"bad tool", chatBody("sim-1", "hi", `"tools":[{"type":"function"}]`), 400, "BadRequestError", "tools.0"},
		{"bad response_format", chatBody("sim-1", "hi", `"response_format":{"type":"xml"}`), 400, "BadRequestError", "response_format"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{})
			status, r, raw := call(t, s, "POST", "/v1/chat/completions", tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, raw)
			}
			wantStr(t, r, "object", "error")
			wantStr(t, r, "type", tc.typ)
			wantInt(t, r, "code", int64(tc.status))
			if !r.Get("param").Exists() {
				t.Error("param missing")
			}
			if m := r.Get("message").Str; !strings.Contains(m, tc.message) {
				t.Errorf("message %q lacks %q", m, tc.message)
			}
			if st := s.Stats(); st.Failed != 1 || st.Requests != 1 {
				t.Errorf("stats %+v, want one failed request", st)
			}
		})
	}
}

func TestChatIsDeterministic(t *testing.T) {
	a, b := New(Config{}), New(Config{Seed: 9})
	_, r1, _ := call(t, a, "POST", "/v1/chat/completions", chatBody("sim-1", "same words", ""))
	_, r2, _ := call(t, b, "POST", "/v1/chat/completions", chatBody("sim-1", "same words", ""))
	_, r3, _ := call(t, a, "POST", "/v1/chat/completions", chatBody("sim-1", "other words", ""))
	c1, c2, c3 := r1.Get("choices.0.message.content").Str, r2.Get("choices.0.message.content").Str, r3.Get("choices.0.message.content").Str
	if c1 != c2 {
		t.Errorf("same messages, different content: %q vs %q", c1, c2)
	}
	if c1 == c3 {
		t.Errorf("different messages, same content %q", c1)
	}
	if r1.Get("id").Str == r2.Get("id").Str {
		t.Error("ids repeat across seeds")
	}
}

func wantStr(t *testing.T, r gjson.Result, path, want string) {
	t.Helper()
	if got := r.Get(path); got.Type != gjson.String || got.Str != want {
		t.Errorf("%s = %s, want %q", path, got.Raw, want)
	}
}

func wantRaw(t *testing.T, r gjson.Result, path, want string) {
	t.Helper()
	if got := r.Get(path).Raw; got != want {
		t.Errorf("%s = %s, want %s", path, got, want)
	}
}

func wantInt(t *testing.T, r gjson.Result, path string, want int64) {
	t.Helper()
	if got := r.Get(path); got.Type != gjson.Number || got.Int() != want {
		t.Errorf("%s = %s, want %d", path, got.Raw, want)
	}
}

func wantText(t *testing.T, r gjson.Result) {
	t.Helper()
	wantStr(t, r, "choices.0.finish_reason", "stop")
	wantRaw(t, r, "choices.0.message.tool_calls", "[]")
	if r.Get("choices.0.message.content").Str == "" {
		t.Error("no text content")
	}
}

func wantToolCall(t *testing.T, r gjson.Result, name, tool string) {
	t.Helper()
	wantStr(t, r, "choices.0.finish_reason", "tool_calls")
	wantRaw(t, r, "choices.0.message.content", "null")
	call := r.Get("choices.0.message.tool_calls.0")
	if id := call.Get("id").Str; !strings.HasPrefix(id, "chatcmpl-tool-") || len(id) != len("chatcmpl-tool-")+32 {
		t.Errorf("tool call id %q", id)
	}
	wantStr(t, call, "type", "function")
	wantStr(t, call, "function.name", name)
	params := gjson.Get(tool, "function.parameters").Raw
	validate(t, compileSchema(t, params), call.Get("function.arguments").Str)
	if n := r.Get("choices.0.message.tool_calls.#").Int(); n != 1 {
		t.Errorf("%d tool calls, want 1", n)
	}
}

func wantReasoning(t *testing.T, r gjson.Result) {
	t.Helper()
	rc := r.Get("choices.0.message.reasoning_content").Str
	reasoning := int64(countWords(rc))
	if reasoning == 0 {
		t.Fatal("no reasoning_content")
	}
	content := int64(countWords(r.Get("choices.0.message.content").Str))
	wantInt(t, r, "usage.completion_tokens_details.reasoning_tokens", reasoning)
	wantInt(t, r, "usage.completion_tokens", reasoning+content)
}
