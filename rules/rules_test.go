package rules

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
)

// Error codes as a client reads them from the envelope.
const (
	unsupported = "unsupported_parameter"
	unknown     = "unknown_parameter"
	missing     = "missing_required_parameter"
	wrongType   = "invalid_type"
	badValue    = "invalid_value"
	badJSON     = "invalid_json"
)

// tc is one named case: a body, and either acceptance (code "") or the error a client sees.
type tc struct {
	name  string
	s     Surface
	row   string // the matrix row (Row.Field) this case covers; "" for a structural case
	body  string
	param string
	code  string
	check func(t *testing.T, r *Request) // extra checks on an accepted request
}

const (
	chatBase = `"model":"m","messages":[{"role":"user","content":"hi"}]`
	respBase = `"model":"m","input":"hi"`
	msgBase  = `"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]`
)

func obj(members ...string) string {
	var kept []string
	for _, m := range members {
		if m != "" {
			kept = append(kept, m)
		}
	}
	return "{" + strings.Join(kept, ",") + "}"
}

func chat(extra string) string { return obj(chatBase, extra) }
func resp(extra string) string { return obj(respBase, extra) }
func msgs(extra string) string { return obj(msgBase, extra) }

// chatMsgs builds a chat body with the given messages.
func chatMsgs(m ...string) string {
	return `{"model":"m","messages":[` + strings.Join(m, ",") + `]}`
}

// respInput builds a Responses body with the given input items.
func respInput(items ...string) string {
	return `{"model":"m","input":[` + strings.Join(items, ",") + `]}`
}

// msgMsgs builds a Messages body with the given messages.
func msgMsgs(m ...string) string {
	return `{"model":"m","max_tokens":16,"messages":[` + strings.Join(m, ",") + `]}`
}

func ok(name string, s Surface, row, body string) tc {
	return tc{name: name, s: s, row: row, body: body}
}

func bad(name string, s Surface, row, body, param, code string) tc {
	return tc{name: name, s: s, row: row, body: body, param: param, code: code}
}

func wantModel(m string) func(*testing.T, *Request) {
	return func(t *testing.T, r *Request) {
		if r.Model != m {
			t.Errorf("Model = %q, want %q", r.Model, m)
		}
	}
}

func wantMax(n int64) func(*testing.T, *Request) {
	return func(t *testing.T, r *Request) {
		if r.MaxTokens != n {
			t.Errorf("MaxTokens = %d, want %d", r.MaxTokens, n)
		}
	}
}

func chatCases() []tc {
	user := `{"role":"user","content":"hi"}`
	return []tc{
		{name: "chat/model/accepted", s: Chat, row: "model", body: chat(""), check: wantModel("m")},
		{name: "chat/model/escaped", s: Chat, row: "model", body: `{"model":"a\/b\u00e9","messages":[` + user + `]}`, check: wantModel("a/bé")},
		bad("chat/model/missing", Chat, "model", `{"messages":[`+user+`]}`, "model", missing),
		bad("chat/model/null", Chat, "model", `{"model":null,"messages":[`+user+`]}`, "model", missing),
		bad("chat/model/number", Chat, "model", `{"model":7,"messages":[`+user+`]}`, "model", wrongType),
		bad("chat/model/empty", Chat, "model", `{"model":"","messages":[`+user+`]}`, "model", badValue),

		ok("chat/messages/accepted", Chat, "messages", chat("")),
		bad("chat/messages/missing", Chat, "messages", `{"model":"m"}`, "messages", missing),
		bad("chat/messages/empty", Chat, "messages", `{"model":"m","messages":[]}`, "messages", badValue),
		bad("chat/messages/not-array", Chat, "messages", `{"model":"m","messages":"hi"}`, "messages", wrongType),
		bad("chat/messages/item-not-object", Chat, "", chatMsgs(`"hi"`), "messages[0]", wrongType),
		bad("chat/messages/role-missing", Chat, "", chatMsgs(`{"content":"hi"}`), "messages[0].role", missing),
		bad("chat/messages/unknown-member", Chat, "", chatMsgs(`{"role":"user","content":"hi","foo":1}`), "messages[0].foo", unknown),
		bad("chat/messages/member-of-other-role", Chat, "", chatMsgs(`{"role":"user","content":"hi","tool_call_id":"c"}`), "messages[0].tool_call_id", unknown),
		bad("chat/messages/duplicate-member", Chat, "", chatMsgs(`{"role":"user","content":"hi","content":"again"}`), "messages[0].content", badValue),
		bad("chat/messages/content-missing", Chat, "", chatMsgs(`{"role":"user"}`), "messages[0].content", missing),
		bad("chat/messages/content-number", Chat, "", chatMsgs(`{"role":"user","content":5}`), "messages[0].content", wrongType),
		bad("chat/messages/name-number", Chat, "", chatMsgs(`{"role":"user","content":"hi","name":5}`), "messages[0].name", wrongType),

		ok("chat/messages[].role=system", Chat, `messages[].role: "system"`, chatMsgs(`{"role":"system","content":"be brief","name":"ops"}`, user)),
		ok("chat/messages[].role=developer", Chat, `messages[].role: "developer"`, chatMsgs(`{"role":"developer","content":[{"type":"text","text":"be brief"}]}`, user)),
		ok("chat/messages[].role=user", Chat, `messages[].role: "user"`, chatMsgs(`{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"name":"ann"}`)),
		ok("chat/messages[].role=assistant", Chat, `messages[].role: "assistant"`, chatMsgs(user, `{"role":"assistant","content":"hello","refusal":null,"audio":null,"name":"bot"}`, user)),
		ok("chat/messages[].role=tool", Chat, `messages[].role: "tool"`, chatMsgs(user, `{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}`, `{"role":"tool","tool_call_id":"c1","content":"42"}`)),
		ok("chat/messages[].role=function", Chat, `messages[].role: "function"`, chatMsgs(user, `{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}}`, `{"role":"function","name":"f","content":"42"}`)),
		bad("chat/messages[].role=bot", Chat, "", chatMsgs(`{"role":"bot","content":"hi"}`), "messages[0].role", badValue),
		bad("chat/messages/tool-without-call-id", Chat, "", chatMsgs(user, `{"role":"tool","content":"42"}`), "messages[1].tool_call_id", missing),
		bad("chat/messages/function-without-name", Chat, "", chatMsgs(user, `{"role":"function","content":"42"}`), "messages[1].name", missing),
		bad("chat/messages/assistant-without-content", Chat, "", chatMsgs(user, `{"role":"assistant","tool_calls":[]}`), "messages[1].content", missing),
		bad("chat/messages/assistant-audio", Chat, "", chatMsgs(user, `{"role":"assistant","content":"x","audio":{"id":"a1"}}`), "messages[1].audio", unsupported),
		bad("chat/messages/function-content-array", Chat, "", chatMsgs(user, `{"role":"function","name":"f","content":[]}`), "messages[1].content", wrongType),

		ok("chat/messages[].content[].type=text", Chat, `messages[].content[].type: "text"`, chatMsgs(`{"role":"user","content":[{"type":"text","text":"hi"}]}`)),
		ok("chat/messages[].content[].type=refusal", Chat, `messages[].content[].type: "refusal"`, chatMsgs(user, `{"role":"assistant","content":[{"type":"refusal","refusal":"no"}]}`)),
		bad("chat/messages[].content[].type=refusal/user", Chat, `messages[].content[].type: "refusal"`, chatMsgs(`{"role":"user","content":[{"type":"refusal","refusal":"no"}]}`), "messages[0].content[0].type", badValue),
		bad("chat/messages[].content[].type=image_url", Chat, `messages[].content[].type: "image_url"`, chatMsgs(`{"role":"system","content":"x"}`, `{"role":"user","content":[{"type":"text","text":"what?"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]}`), "messages[1].content[1].type", unsupported),
		bad("chat/messages[].content[].type=input_audio", Chat, `messages[].content[].type: "input_audio"`, chatMsgs(`{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAA","format":"wav"}}]}`), "messages[0].content[0].type", unsupported),
		bad("chat/messages[].content[].type=file", Chat, `messages[].content[].type: "file"`, chatMsgs(`{"role":"user","content":[{"type":"file","file":{"file_id":"f"}}]}`), "messages[0].content[0].type", unsupported),
		bad("chat/messages[].content[].type=video", Chat, "", chatMsgs(`{"role":"user","content":[{"type":"video"}]}`), "messages[0].content[0].type", badValue),
		bad("chat/content/part-without-type", Chat, "", chatMsgs(`{"role":"user","content":[{"text":"hi"}]}`), "messages[0].content[0].type", missing),
		bad("chat/content/part-without-text", Chat, "", chatMsgs(`{"role":"user","content":[{"type":"text"}]}`), "messages[0].content[0].text", missing),
		bad("chat/content/part-unknown-member", Chat, "", chatMsgs(`{"role":"user","content":[{"type":"text","text":"a","x":1}]}`), "messages[0].content[0].x", unknown),
		bad("chat/content/prompt_cache_breakpoint", Chat, "", chatMsgs(`{"role":"user","content":[{"type":"text","text":"a","prompt_cache_breakpoint":{"mode":"explicit"}}]}`), "messages[0].content[0].prompt_cache_breakpoint", unsupported),

		ok("chat/messages[].tool_calls[].type=function", Chat, `messages[].tool_calls[].type: "function"`, chatMsgs(user, `{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}`)),
		ok("chat/messages[].tool_calls[].type=custom", Chat, `messages[].tool_calls[].type: "custom"`, chatMsgs(user, `{"role":"assistant","tool_calls":[{"id":"c1","type":"custom","custom":{"name":"sh","input":"ls"}}]}`)),
		bad("chat/tool_calls/unknown-type", Chat, "", chatMsgs(user, `{"role":"assistant","tool_calls":[{"id":"c1","type":"web","function":{"name":"f","arguments":"{}"}}]}`), "messages[1].tool_calls[0].type", badValue),
		bad("chat/tool_calls/arguments-object", Chat, "", chatMsgs(user, `{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":{}}}]}`), "messages[1].tool_calls[0].function.arguments", wrongType),
		bad("chat/tool_calls/without-id", Chat, "", chatMsgs(user, `{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}`), "messages[1].tool_calls[0].id", missing),

		{name: "chat/max_completion_tokens/accepted", s: Chat, row: "max_completion_tokens", body: chat(`"max_completion_tokens":100`), check: wantMax(100)},
		bad("chat/max_completion_tokens/zero", Chat, "max_completion_tokens", chat(`"max_completion_tokens":0`), "max_completion_tokens", badValue),
		bad("chat/max_completion_tokens/fraction", Chat, "max_completion_tokens", chat(`"max_completion_tokens":1.5`), "max_completion_tokens", wrongType),
		bad("chat/max_completion_tokens/string", Chat, "max_completion_tokens", chat(`"max_completion_tokens":"9"`), "max_completion_tokens", wrongType),
		bad("chat/max_completion_tokens/huge", Chat, "max_completion_tokens", chat(`"max_completion_tokens":1e20`), "max_completion_tokens", badValue),
		ok("chat/temperature/accepted", Chat, "temperature", chat(`"temperature":2`)),
		ok("chat/temperature/null", Chat, "temperature", chat(`"temperature":null`)),
		bad("chat/temperature/above-2", Chat, "temperature", chat(`"temperature":2.5`), "temperature", badValue),
		bad("chat/temperature/string", Chat, "temperature", chat(`"temperature":"hot"`), "temperature", wrongType),
		ok("chat/top_p/accepted", Chat, "top_p", chat(`"top_p":1`)),
		bad("chat/top_p/above-1", Chat, "top_p", chat(`"top_p":1.1`), "top_p", badValue),
		bad("chat/top_p/negative", Chat, "top_p", chat(`"top_p":-0.1`), "top_p", badValue),
		ok("chat/user/accepted", Chat, "user", chat(`"user":"u-1"`)),
		bad("chat/user/number", Chat, "user", chat(`"user":5`), "user", wrongType),

		ok("chat/response_format/json_schema", Chat, "response_format", chat(`"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"},"strict":true,"description":"d"}}`)),
		ok("chat/response_format.type=text", Chat, `response_format.type: "text"`, chat(`"response_format":{"type":"text"}`)),
		ok("chat/response_format.type=json_object", Chat, `response_format.type: "json_object"`, chat(`"response_format":{"type":"json_object"}`)),
		ok("chat/response_format.type=json_schema", Chat, `response_format.type: "json_schema"`, chat(`"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}}`)),
		bad("chat/response_format/unknown-type", Chat, "response_format", chat(`"response_format":{"type":"yaml"}`), "response_format.type", badValue),
		bad("chat/response_format/json_schema-without-name", Chat, "response_format", chat(`"response_format":{"type":"json_schema","json_schema":{"schema":{}}}`), "response_format.json_schema.name", missing),
		bad("chat/response_format/json_schema-without-schema", Chat, "response_format", chat(`"response_format":{"type":"json_schema","json_schema":{"name":"x"}}`), "response_format.json_schema.schema", missing),
		bad("chat/response_format/schema-not-object", Chat, "response_format", chat(`"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":"{}"}}`), "response_format.json_schema.schema", wrongType),
		bad("chat/response_format/json_schema-missing", Chat, "response_format", chat(`"response_format":{"type":"json_schema"}`), "response_format.json_schema", missing),
		bad("chat/response_format/text-with-schema", Chat, "response_format", chat(`"response_format":{"type":"text","json_schema":{}}`), "response_format.json_schema", unknown),

		ok("chat/reasoning_effort/low", Chat, "reasoning_effort", chat(`"reasoning_effort":"low"`)),
		ok("chat/reasoning_effort/high", Chat, "reasoning_effort", chat(`"reasoning_effort":"high"`)),
		bad("chat/reasoning_effort/minimal", Chat, "reasoning_effort", chat(`"reasoning_effort":"minimal"`), "reasoning_effort", unsupported),
		bad("chat/reasoning_effort/none", Chat, "reasoning_effort", chat(`"reasoning_effort":"none"`), "reasoning_effort", unsupported),
		bad("chat/reasoning_effort/invalid", Chat, "reasoning_effort", chat(`"reasoning_effort":"extreme"`), "reasoning_effort", badValue),

		ok("chat/tools/empty", Chat, "tools", chat(`"tools":[]`)),
		ok("chat/tools[].type=function", Chat, `tools[].type: "function"`, chat(`"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"},"strict":null}}]`)),
		ok("chat/tools[].type=custom", Chat, `tools[].type: "custom"`, chat(`"tools":[{"type":"custom","custom":{"name":"g","description":"d","format":{"type":"grammar","grammar":{"syntax":"lark","definition":"start: /x/"}}}}]`)),
		bad("chat/tools/web_search", Chat, "tools", chat(`"tools":[{"type":"function","function":{"name":"f"}},{"type":"web_search"}]`), "tools[1].type", badValue),
		bad("chat/tools/not-array", Chat, "tools", chat(`"tools":{}`), "tools", wrongType),
		bad("chat/tools/function-without-name", Chat, "tools", chat(`"tools":[{"type":"function","function":{"description":"d"}}]`), "tools[0].function.name", missing),
		bad("chat/tools/parameters-not-object", Chat, "tools", chat(`"tools":[{"type":"function","function":{"name":"f","parameters":[]}}]`), "tools[0].function.parameters", wrongType),
		bad("chat/tools/custom-format-type", Chat, "tools", chat(`"tools":[{"type":"custom","custom":{"name":"g","format":{"type":"regexp"}}}]`), "tools[0].custom.format.type", badValue),
		bad("chat/tools/function-member-on-custom", Chat, "tools", chat(`"tools":[{"type":"custom","custom":{"name":"g"},"function":{"name":"f"}}]`), "tools[0].function", unknown),

		ok("chat/tool_choice=none", Chat, `tool_choice: "none"`, chat(`"tool_choice":"none"`)),
		ok("chat/tool_choice=auto", Chat, `tool_choice: "auto"`, chat(`"tool_choice":"auto"`)),
		ok("chat/tool_choice=required", Chat, `tool_choice: "required"`, chat(`"tool_choice":"required"`)),
		ok("chat/tool_choice.type=function", Chat, `tool_choice.type: "function"`, chat(`"tool_choice":{"type":"function","function":{"name":"f"}}`)),
		ok("chat/tool_choice.type=custom", Chat, `tool_choice.type: "custom"`, chat(`"tool_choice":{"type":"custom","custom":{"name":"g"}}`)),
		bad("chat/tool_choice.type=allowed_tools", Chat, `tool_choice.type: "allowed_tools"`, chat(`"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}}`), "tool_choice.type", unsupported),
		ok("chat/tool_choice/null", Chat, "tool_choice", chat(`"tool_choice":null`)),
		bad("chat/tool_choice/invalid-mode", Chat, "tool_choice", chat(`"tool_choice":"any"`), "tool_choice", badValue),
		bad("chat/tool_choice/function-missing", Chat, "tool_choice", chat(`"tool_choice":{"type":"function"}`), "tool_choice.function", missing),
		bad("chat/tool_choice/name-missing", Chat, "tool_choice", chat(`"tool_choice":{"type":"function","function":{}}`), "tool_choice.function.name", missing),
		bad("chat/tool_choice/number", Chat, "tool_choice", chat(`"tool_choice":1`), "tool_choice", wrongType),

		ok("chat/parallel_tool_calls/true", Chat, "parallel_tool_calls", chat(`"parallel_tool_calls":true`)),
		ok("chat/parallel_tool_calls/false", Chat, "parallel_tool_calls", chat(`"parallel_tool_calls":false`)),
		bad("chat/parallel_tool_calls/string", Chat, "parallel_tool_calls", chat(`"parallel_tool_calls":"yes"`), "parallel_tool_calls", wrongType),

		ok("chat/stream/false", Chat, "stream", chat(`"stream":false`)),
		bad("chat/stream/true", Chat, "stream", chat(`"stream":true`), "stream", unsupported),
		bad("chat/stream/string", Chat, "stream", chat(`"stream":"false"`), "stream", wrongType),
		bad("chat/n/string", Chat, "n", chat(`"n":"1"`), "n", wrongType),
		bad("chat/stop/number", Chat, "stop", chat(`"stop":7`), "stop", unsupported),
		ok("chat/stream_options/null", Chat, "stream_options", chat(`"stream_options":null`)),
		bad("chat/stream_options/given", Chat, "stream_options", chat(`"stream_options":{"include_usage":true}`), "stream_options", unsupported),
		ok("chat/n/1", Chat, "n", chat(`"n":1`)),
		bad("chat/n/2", Chat, "n", chat(`"n":2`), "n", unsupported),
		ok("chat/frequency_penalty/0", Chat, "frequency_penalty", chat(`"frequency_penalty":0`)),
		bad("chat/frequency_penalty/0.5", Chat, "frequency_penalty", chat(`"frequency_penalty":0.5`), "frequency_penalty", unsupported),
		ok("chat/presence_penalty/0", Chat, "presence_penalty", chat(`"presence_penalty":0.0`)),
		bad("chat/presence_penalty/1", Chat, "presence_penalty", chat(`"presence_penalty":1`), "presence_penalty", unsupported),
		ok("chat/logit_bias/empty", Chat, "logit_bias", chat(`"logit_bias":{ }`)),
		bad("chat/logit_bias/given", Chat, "logit_bias", chat(`"logit_bias":{"50256":-100}`), "logit_bias", unsupported),
		ok("chat/stop/empty", Chat, "stop", chat(`"stop":[]`)),
		bad("chat/stop/string", Chat, "stop", chat(`"stop":"\n"`), "stop", unsupported),
		bad("chat/stop/array", Chat, "stop", chat(`"stop":["END"]`), "stop", unsupported),
		bad("chat/seed/given", Chat, "seed", chat(`"seed":42`), "seed", unsupported),
		ok("chat/logprobs/false", Chat, "logprobs", chat(`"logprobs":false`)),
		bad("chat/logprobs/true", Chat, "logprobs", chat(`"logprobs":true`), "logprobs", unsupported),
		ok("chat/top_logprobs/0", Chat, "top_logprobs", chat(`"top_logprobs":0`)),
		bad("chat/top_logprobs/5", Chat, "top_logprobs", chat(`"top_logprobs":5`), "top_logprobs", unsupported),
		bad("chat/audio/given", Chat, "audio", chat(`"audio":{"voice":"alloy","format":"wav"}`), "audio", unsupported),
		ok("chat/modalities/text", Chat, "modalities", chat(`"modalities":["text"]`)),
		bad("chat/modalities/audio", Chat, "modalities", chat(`"modalities":["text","audio"]`), "modalities", unsupported),
		bad("chat/modalities/video", Chat, "modalities", chat(`"modalities":["video"]`), "modalities[0]", badValue),
		bad("chat/prediction/given", Chat, "prediction", chat(`"prediction":{"type":"content","content":"x"}`), "prediction", unsupported),
		bad("chat/web_search_options/given", Chat, "web_search_options", chat(`"web_search_options":{}`), "web_search_options", unsupported),
		ok("chat/service_tier/auto", Chat, "service_tier", chat(`"service_tier":"auto"`)),
		bad("chat/service_tier/flex", Chat, "service_tier", chat(`"service_tier":"flex"`), "service_tier", unsupported),
		ok("chat/store/true", Chat, "store", chat(`"store":true`)),
		bad("chat/store/false", Chat, "store", chat(`"store":false`), "store", unsupported),
		bad("chat/max_tokens/given", Chat, "max_tokens", chat(`"max_tokens":100`), "max_tokens", unsupported),
		ok("chat/functions/empty", Chat, "functions", chat(`"functions":[]`)),
		bad("chat/functions/given", Chat, "functions", chat(`"functions":[{"name":"f"}]`), "functions", unsupported),
		bad("chat/function_call/given", Chat, "function_call", chat(`"function_call":"auto"`), "function_call", unsupported),
		ok("chat/verbosity/null", Chat, "verbosity", chat(`"verbosity":null`)),
		bad("chat/verbosity/given", Chat, "verbosity", chat(`"verbosity":"low"`), "verbosity", unsupported),
		bad("chat/prompt_cache_key/given", Chat, "prompt_cache_key", chat(`"prompt_cache_key":"k"`), "prompt_cache_key", unsupported),
		bad("chat/safety_identifier/given", Chat, "safety_identifier", chat(`"safety_identifier":"s"`), "safety_identifier", unsupported),
		bad("chat/prompt_cache_retention/given", Chat, "prompt_cache_retention", chat(`"prompt_cache_retention":"24h"`), "prompt_cache_retention", unsupported),
		ok("chat/prompt_cache_options/empty", Chat, "prompt_cache_options", chat(`"prompt_cache_options":{}`)),
		bad("chat/prompt_cache_options/given", Chat, "prompt_cache_options", chat(`"prompt_cache_options":{"ttl":"30m"}`), "prompt_cache_options", unsupported),
		bad("chat/moderation/given", Chat, "moderation", chat(`"moderation":{"model":"omni-moderation-latest"}`), "moderation", unsupported),
	}
}

func responsesCases() []tc {
	call := `{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"}`
	return []tc{
		{name: "responses/model/accepted", s: Responses, row: "model", body: resp(""), check: wantModel("m")},
		bad("responses/model/missing", Responses, "model", `{"input":"hi"}`, "model", missing),
		ok("responses/input/string", Responses, "input", resp("")),
		ok("responses/input/items", Responses, "input", respInput(`{"role":"user","content":"hi"}`)),
		bad("responses/input/missing", Responses, "input", `{"model":"m"}`, "input", missing),
		bad("responses/input/empty", Responses, "input", respInput(), "input", badValue),
		bad("responses/input/number", Responses, "input", `{"model":"m","input":1}`, "input", wrongType),
		bad("responses/input/item-without-type-or-role", Responses, "input", respInput(`{"content":"hi"}`), "input[0].type", missing),
		bad("responses/input/unknown-type", Responses, "input", respInput(`{"type":"note","text":"x"}`), "input[0].type", badValue),
		bad("responses/input/message-unknown-member", Responses, "input", respInput(`{"role":"user","content":"hi","name":"x"}`), "input[0].name", unknown),
		bad("responses/input/message-without-content", Responses, "input", respInput(`{"type":"message","role":"user"}`), "input[0].content", missing),
		bad("responses/input/duplicate-member", Responses, "input", respInput(`{"role":"user","role":"user","content":"x"}`), "input[0].role", badValue),

		ok("responses/input[].type=message", Responses, `input[].type: "message"`, respInput(`{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}`)),
		ok("responses/input[].type=function_call", Responses, `input[].type: "function_call"`, respInput(`{"role":"user","content":"hi"}`, `{"type":"function_call","id":"fc_1","call_id":"c1","name":"f","arguments":"{\"a\":1}","status":"completed"}`)),
		ok("responses/input[].type=function_call_output", Responses, `input[].type: "function_call_output"`, respInput(call, `{"type":"function_call_output","call_id":"c1","output":[{"type":"input_text","text":"42"}]}`)),
		ok("responses/input[].type=custom_tool_call", Responses, `input[].type: "custom_tool_call"`, respInput(`{"type":"custom_tool_call","call_id":"c2","name":"sh","input":"ls"}`)),
		ok("responses/input[].type=custom_tool_call_output", Responses, `input[].type: "custom_tool_call_output"`, respInput(`{"type":"custom_tool_call_output","call_id":"c2","output":"a b"}`)),
		ok("responses/input[].type=reasoning", Responses, `input[].type: "reasoning"`, respInput(`{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"…"}],"encrypted_content":null}`, `{"role":"user","content":"go on"}`)),
		bad("responses/input/function_call-without-call_id", Responses, "", respInput(`{"type":"function_call","name":"f","arguments":"{}"}`), "input[0].call_id", missing),
		bad("responses/input/function_call-without-arguments", Responses, "", respInput(`{"type":"function_call","call_id":"c","name":"f"}`), "input[0].arguments", missing),
		bad("responses/input/function_call-namespace", Responses, "", respInput(`{"type":"function_call","call_id":"c","name":"f","arguments":"{}","namespace":"ns"}`), "input[0].namespace", unsupported),
		bad("responses/input/function_call_output-without-output", Responses, "", respInput(`{"type":"function_call_output","call_id":"c"}`), "input[0].output", missing),
		bad("responses/input/function_call_output-number", Responses, "", respInput(`{"type":"function_call_output","call_id":"c","output":5}`), "input[0].output", wrongType),
		bad("responses/input/custom_tool_call-arguments", Responses, "", respInput(`{"type":"custom_tool_call","call_id":"c","name":"f","input":"x","arguments":"{}"}`), "input[0].arguments", unknown),

		ok("responses/input[].role=user", Responses, `input[].role: "user"`, respInput(`{"role":"user","content":"hi"}`)),
		ok("responses/input[].role=assistant", Responses, `input[].role: "assistant"`, respInput(`{"role":"user","content":"hi"}`, `{"role":"assistant","content":"hello","phase":null}`)),
		ok("responses/input[].role=system", Responses, `input[].role: "system"`, respInput(`{"role":"system","content":"be brief"}`, `{"role":"user","content":"hi"}`)),
		ok("responses/input[].role=developer", Responses, `input[].role: "developer"`, respInput(`{"role":"developer","content":[{"type":"input_text","text":"be brief"}]}`, `{"role":"user","content":"hi"}`)),
		bad("responses/input[].role=tool", Responses, "", respInput(`{"role":"tool","content":"hi"}`), "input[0].role", badValue),

		ok("responses/input[].content[].type=input_text", Responses, `input[].content[].type: "input_text"`, respInput(`{"role":"user","content":[{"type":"input_text","text":"hi"}]}`)),
		ok("responses/input[].content[].type=output_text", Responses, `input[].content[].type: "output_text"`, respInput(`{"role":"assistant","content":[{"type":"output_text","text":"hi","annotations":[],"logprobs":[]}]}`)),
		ok("responses/input[].content[].type=refusal", Responses, `input[].content[].type: "refusal"`, respInput(`{"role":"assistant","content":[{"type":"refusal","refusal":"no"}]}`)),
		bad("responses/content/unknown-type", Responses, "", respInput(`{"role":"user","content":[{"type":"text","text":"hi"}]}`), "input[0].content[0].type", badValue),
		bad("responses/content/part-without-text", Responses, "", respInput(`{"role":"user","content":[{"type":"input_text"}]}`), "input[0].content[0].text", missing),
		bad("responses/content/annotations-object", Responses, "", respInput(`{"role":"assistant","content":[{"type":"output_text","text":"x","annotations":{}}]}`), "input[0].content[0].annotations", wrongType),

		ok("responses/input[].output[].type=input_text", Responses, `input[].output[].type: "input_text"`, respInput(call, `{"type":"function_call_output","call_id":"c1","output":[{"type":"input_text","text":"ok"}]}`)),

		{name: "responses/max_output_tokens/accepted", s: Responses, row: "max_output_tokens", body: resp(`"max_output_tokens":256`), check: wantMax(256)},
		bad("responses/max_output_tokens/negative", Responses, "max_output_tokens", resp(`"max_output_tokens":-1`), "max_output_tokens", badValue),
		ok("responses/temperature/accepted", Responses, "temperature", resp(`"temperature":0`)),
		bad("responses/temperature/above-2", Responses, "temperature", resp(`"temperature":3`), "temperature", badValue),
		ok("responses/top_p/accepted", Responses, "top_p", resp(`"top_p":0.5`)),
		bad("responses/top_p/above-1", Responses, "top_p", resp(`"top_p":2`), "top_p", badValue),
		ok("responses/user/accepted", Responses, "user", resp(`"user":"u"`)),
		bad("responses/user/object", Responses, "user", resp(`"user":{}`), "user", wrongType),

		ok("responses/text/empty", Responses, "text", resp(`"text":{}`)),
		bad("responses/text/verbosity", Responses, "text", resp(`"text":{"verbosity":"low"}`), "text.verbosity", unsupported),
		bad("responses/text/json_schema-without-name", Responses, "text", resp(`"text":{"format":{"type":"json_schema","schema":{}}}`), "text.format.name", missing),
		bad("responses/text/format-without-type", Responses, "text", resp(`"text":{"format":{}}`), "text.format.type", missing),
		bad("responses/text/text-with-schema", Responses, "text", resp(`"text":{"format":{"type":"text","schema":{}}}`), "text.format.schema", unknown),
		ok("responses/text.format.type=text", Responses, `text.format.type: "text"`, resp(`"text":{"format":{"type":"text"}}`)),
		ok("responses/text.format.type=json_schema", Responses, `text.format.type: "json_schema"`, resp(`"text":{"format":{"type":"json_schema","name":"x","schema":{"type":"object"},"strict":true,"description":"d"}}`)),
		bad("responses/text.format.type=json_object", Responses, `text.format.type: "json_object"`, resp(`"text":{"format":{"type":"json_object"}}`), "text.format.type", unsupported),

		ok("responses/reasoning/accepted", Responses, "reasoning", resp(`"reasoning":{"effort":"high","summary":"concise","generate_summary":"detailed"}`)),
		ok("responses/reasoning/empty", Responses, "reasoning", resp(`"reasoning":{}`)),
		bad("responses/reasoning/effort-minimal", Responses, "reasoning", resp(`"reasoning":{"effort":"minimal"}`), "reasoning.effort", unsupported),
		bad("responses/reasoning/effort-invalid", Responses, "reasoning", resp(`"reasoning":{"effort":"huge"}`), "reasoning.effort", badValue),
		bad("responses/reasoning/summary-invalid", Responses, "reasoning", resp(`"reasoning":{"summary":"long"}`), "reasoning.summary", badValue),
		bad("responses/reasoning/mode", Responses, "reasoning", resp(`"reasoning":{"mode":"pro"}`), "reasoning.mode", unsupported),

		ok("responses/tools/empty", Responses, "tools", resp(`"tools":[]`)),
		ok("responses/tools[].type=function", Responses, `tools[].type: "function"`, resp(`"tools":[{"type":"function","name":"f","description":"d","parameters":{"type":"object"},"strict":true}]`)),
		ok("responses/tools[].type=custom", Responses, `tools[].type: "custom"`, resp(`"tools":[{"type":"custom","name":"g","description":"d","format":{"type":"text"}}]`)),
		bad("responses/tools/unknown-type", Responses, "tools", resp(`"tools":[{"type":"calculator"}]`), "tools[0].type", badValue),
		bad("responses/tools/without-name", Responses, "tools", resp(`"tools":[{"type":"function","parameters":{}}]`), "tools[0].name", missing),
		bad("responses/tools/custom-with-parameters", Responses, "tools", resp(`"tools":[{"type":"custom","name":"g","parameters":{}}]`), "tools[0].parameters", unknown),
		bad("responses/tools/defer_loading", Responses, "tools", resp(`"tools":[{"type":"function","name":"f","defer_loading":true}]`), "tools[0].defer_loading", unsupported),

		ok("responses/tool_choice=none", Responses, `tool_choice: "none"`, resp(`"tool_choice":"none"`)),
		ok("responses/tool_choice=auto", Responses, `tool_choice: "auto"`, resp(`"tool_choice":"auto"`)),
		ok("responses/tool_choice=required", Responses, `tool_choice: "required"`, resp(`"tool_choice":"required"`)),
		ok("responses/tool_choice.type=function", Responses, `tool_choice.type: "function"`, resp(`"tool_choice":{"type":"function","name":"f"}`)),
		ok("responses/tool_choice.type=custom", Responses, `tool_choice.type: "custom"`, resp(`"tool_choice":{"type":"custom","name":"g"}`)),
		bad("responses/tool_choice/without-name", Responses, "tool_choice", resp(`"tool_choice":{"type":"function"}`), "tool_choice.name", missing),
		bad("responses/tool_choice/invalid-mode", Responses, "tool_choice", resp(`"tool_choice":"always"`), "tool_choice", badValue),

		{name: "responses/background/true", s: Responses, row: "background", body: resp(`"background":true`), check: func(t *testing.T, r *Request) {
			if !r.Background {
				t.Error("Background = false, want true")
			}
		}},
		{name: "responses/background/false", s: Responses, row: "background", body: resp(`"background":false`), check: func(t *testing.T, r *Request) {
			if r.Background {
				t.Error("Background = true, want false")
			}
		}},
		bad("responses/background/string", Responses, "background", resp(`"background":"yes"`), "background", wrongType),

		ok("responses/include/empty", Responses, "include", resp(`"include":[]`)),
		ok("responses/include/other-values", Responses, "include", resp(`"include":["web_search_call.results","message.output_text.text"]`)),
		bad("responses/include/not-array", Responses, "include", resp(`"include":"reasoning.encrypted_content"`), "include", wrongType),
		bad("responses/include/not-string", Responses, "include", resp(`"include":[1]`), "include[0]", wrongType),

		ok("responses/truncation/disabled", Responses, "truncation", resp(`"truncation":"disabled"`)),
		bad("responses/truncation/auto", Responses, "truncation", resp(`"truncation":"auto"`), "truncation", unsupported),
		ok("responses/store/true", Responses, "store", resp(`"store":true`)),
		bad("responses/store/false", Responses, "store", resp(`"store":false`), "store", unsupported),
		bad("responses/store/string", Responses, "store", resp(`"store":"true"`), "store", wrongType),
		ok("responses/stream/false", Responses, "stream", resp(`"stream":false`)),
		bad("responses/stream/true", Responses, "stream", resp(`"stream":true`), "stream", unsupported),
		bad("responses/stream_options/given", Responses, "stream_options", resp(`"stream_options":{"include_obfuscation":false}`), "stream_options", unsupported),
		ok("responses/service_tier/auto", Responses, "service_tier", resp(`"service_tier":"auto"`)),
		bad("responses/service_tier/priority", Responses, "service_tier", resp(`"service_tier":"priority"`), "service_tier", unsupported),
		ok("responses/instructions/null", Responses, "instructions", resp(`"instructions":null`)),
		ok("responses/instructions/empty", Responses, "instructions", resp(`"instructions":""`)),
		bad("responses/instructions/text", Responses, "instructions", resp(`"instructions":"Be brief."`), "instructions", unsupported),
		bad("responses/previous_response_id/given", Responses, "previous_response_id", resp(`"previous_response_id":"resp_1"`), "previous_response_id", unsupported),
		bad("responses/conversation/given", Responses, "conversation", resp(`"conversation":"conv_1"`), "conversation", unsupported),
		bad("responses/prompt/given", Responses, "prompt", resp(`"prompt":{"id":"pmpt_1"}`), "prompt", unsupported),
		ok("responses/parallel_tool_calls/false", Responses, "parallel_tool_calls", resp(`"parallel_tool_calls":false`)),
		bad("responses/parallel_tool_calls/true", Responses, "parallel_tool_calls", resp(`"parallel_tool_calls":true`), "parallel_tool_calls", unsupported),
		ok("responses/top_logprobs/0", Responses, "top_logprobs", resp(`"top_logprobs":0`)),
		bad("responses/top_logprobs/3", Responses, "top_logprobs", resp(`"top_logprobs":3`), "top_logprobs", unsupported),
		bad("responses/max_tool_calls/given", Responses, "max_tool_calls", resp(`"max_tool_calls":3`), "max_tool_calls", unsupported),
		bad("responses/prompt_cache_key/given", Responses, "prompt_cache_key", resp(`"prompt_cache_key":"k"`), "prompt_cache_key", unsupported),
		ok("responses/safety_identifier/null", Responses, "safety_identifier", resp(`"safety_identifier":null`)),
		bad("responses/safety_identifier/given", Responses, "safety_identifier", resp(`"safety_identifier":"s"`), "safety_identifier", unsupported),
		bad("responses/prompt_cache_retention/given", Responses, "prompt_cache_retention", resp(`"prompt_cache_retention":"in_memory"`), "prompt_cache_retention", unsupported),
		bad("responses/prompt_cache_options/given", Responses, "prompt_cache_options", resp(`"prompt_cache_options":{"mode":"explicit"}`), "prompt_cache_options", unsupported),
		bad("responses/moderation/given", Responses, "moderation", resp(`"moderation":{"model":"omni-moderation-latest"}`), "moderation", unsupported),
		ok("responses/context_management/empty", Responses, "context_management", resp(`"context_management":[]`)),
		bad("responses/context_management/given", Responses, "context_management", resp(`"context_management":[{"type":"compaction"}]`), "context_management", unsupported),
	}
}

func messagesCases() []tc {
	return []tc{
		{name: "messages/model/accepted", s: Messages, row: "model", body: msgs(""), check: wantModel("m")},
		bad("messages/model/missing", Messages, "model", `{"max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`, "model", missing),
		{name: "messages/max_tokens/accepted", s: Messages, row: "max_tokens", body: msgs(""), check: wantMax(16)},
		bad("messages/max_tokens/missing", Messages, "max_tokens", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`, "max_tokens", missing),
		bad("messages/max_tokens/null", Messages, "max_tokens", `{"model":"m","max_tokens":null,"messages":[{"role":"user","content":"hi"}]}`, "max_tokens", missing),
		bad("messages/max_tokens/zero", Messages, "max_tokens", `{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}`, "max_tokens", badValue),
		ok("messages/messages/accepted", Messages, "messages", msgMsgs(`{"role":"user","content":"hi"}`, `{"role":"assistant","content":"Hello"}`)),
		bad("messages/messages/empty", Messages, "messages", msgMsgs(), "messages", badValue),
		bad("messages/messages/missing", Messages, "messages", `{"model":"m","max_tokens":1}`, "messages", missing),
		bad("messages/messages/content-missing", Messages, "", msgMsgs(`{"role":"user"}`), "messages[0].content", missing),
		bad("messages/messages/unknown-member", Messages, "", msgMsgs(`{"role":"user","content":"hi","name":"x"}`), "messages[0].name", unknown),
		bad("messages/messages/role-invalid", Messages, "", msgMsgs(`{"role":"tool","content":"hi"}`), "messages[0].role", badValue),
		ok("messages/messages[].role=user", Messages, `messages[].role: "user"`, msgMsgs(`{"role":"user","content":"hi"}`)),
		ok("messages/messages[].role=assistant", Messages, `messages[].role: "assistant"`, msgMsgs(`{"role":"user","content":"hi"}`, `{"role":"assistant","content":[{"type":"text","text":"The answer is ("}]}`)),
		bad("messages/messages[].role=system", Messages, `messages[].role: "system"`, msgMsgs(`{"role":"system","content":"be brief"}`, `{"role":"user","content":"hi"}`), "messages[0].role", unsupported),
		ok("messages/messages[].content[].type=text", Messages, `messages[].content[].type: "text"`, msgMsgs(`{"role":"user","content":[{"type":"text","text":"hi","cache_control":null,"citations":[]}]}`)),
		bad("messages/content/cache_control", Messages, `messages[].content[].type: "text"`, msgMsgs(`{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]}`), "messages[0].content[0].cache_control", unsupported),
		bad("messages/content/citations", Messages, "", msgMsgs(`{"role":"user","content":[{"type":"text","text":"hi","citations":[{"type":"char_location"}]}]}`), "messages[0].content[0].citations", unsupported),
		bad("messages/content/block-without-text", Messages, "", msgMsgs(`{"role":"user","content":[{"type":"text"}]}`), "messages[0].content[0].text", missing),
		bad("messages/content/unknown-type", Messages, "", msgMsgs(`{"role":"user","content":[{"type":"video"}]}`), "messages[0].content[0].type", badValue),

		ok("messages/temperature/1", Messages, "temperature", msgs(`"temperature":1`)),
		bad("messages/temperature/1.5", Messages, "temperature", msgs(`"temperature":1.5`), "temperature", badValue),
		ok("messages/top_p/accepted", Messages, "top_p", msgs(`"top_p":0.9`)),
		bad("messages/top_p/above-1", Messages, "top_p", msgs(`"top_p":1.01`), "top_p", badValue),

		ok("messages/output_config/json_schema", Messages, "output_config", msgs(`"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}}`)),
		ok("messages/output_config/empty", Messages, "output_config", msgs(`"output_config":{}`)),
		bad("messages/output_config/effort", Messages, "output_config", msgs(`"output_config":{"effort":"high"}`), "output_config.effort", unsupported),
		bad("messages/output_config/format-type", Messages, "output_config", msgs(`"output_config":{"format":{"type":"json","schema":{}}}`), "output_config.format.type", badValue),
		bad("messages/output_config/without-schema", Messages, "output_config", msgs(`"output_config":{"format":{"type":"json_schema"}}`), "output_config.format.schema", missing),

		ok("messages/stream/false", Messages, "stream", msgs(`"stream":false`)),
		bad("messages/stream/true", Messages, "stream", msgs(`"stream":true`), "stream", unsupported),
		bad("messages/store/false", Messages, "store", msgs(`"store":false`), "store", unsupported),
		ok("messages/system/empty", Messages, "system", msgs(`"system":""`)),
		bad("messages/system/text", Messages, "system", msgs(`"system":"Be brief."`), "system", unsupported),
		bad("messages/system/blocks", Messages, "system", msgs(`"system":[{"type":"text","text":"Be brief."}]`), "system", unsupported),
		ok("messages/thinking/disabled", Messages, "thinking", msgs(`"thinking":{"type":"disabled"}`)),
		bad("messages/thinking/enabled", Messages, "thinking", msgs(`"thinking":{"type":"enabled","budget_tokens":1024}`), "thinking", unsupported),
		bad("messages/thinking/adaptive", Messages, "thinking", msgs(`"thinking":{"type":"adaptive"}`), "thinking", unsupported),
		ok("messages/tools/empty", Messages, "tools", msgs(`"tools":[]`)),
		bad("messages/tools/given", Messages, "tools", msgs(`"tools":[{"name":"w","input_schema":{"type":"object"}}]`), "tools", unsupported),
		bad("messages/tool_choice/given", Messages, "tool_choice", msgs(`"tool_choice":{"type":"auto"}`), "tool_choice", unsupported),
		ok("messages/stop_sequences/empty", Messages, "stop_sequences", msgs(`"stop_sequences":[]`)),
		bad("messages/stop_sequences/given", Messages, "stop_sequences", msgs(`"stop_sequences":["END"]`), "stop_sequences", unsupported),
		bad("messages/top_k/given", Messages, "top_k", msgs(`"top_k":5`), "top_k", unsupported),
		bad("messages/service_tier/given", Messages, "service_tier", msgs(`"service_tier":"auto"`), "service_tier", unsupported),
		bad("messages/inference_geo/given", Messages, "inference_geo", msgs(`"inference_geo":"us"`), "inference_geo", unsupported),
		bad("messages/container/given", Messages, "container", msgs(`"container":"cntr_1"`), "container", unsupported),
		bad("messages/mcp_servers/given", Messages, "mcp_servers", msgs(`"mcp_servers":[{"type":"url","url":"https://x","name":"x"}]`), "mcp_servers", unsupported),
		bad("messages/context_management/given", Messages, "context_management", msgs(`"context_management":{"edits":[]}`), "context_management", unsupported),
		ok("messages/speed/standard", Messages, "speed", msgs(`"speed":"standard"`)),
		bad("messages/speed/fast", Messages, "speed", msgs(`"speed":"fast"`), "speed", unsupported),
		bad("messages/cache_control/given", Messages, "cache_control", msgs(`"cache_control":{"type":"ephemeral"}`), "cache_control", unsupported),
		bad("messages/diagnostics/given", Messages, "diagnostics", msgs(`"diagnostics":{"previous_message_id":"msg_1"}`), "diagnostics", unsupported),
		bad("messages/output_format/given", Messages, "output_format", msgs(`"output_format":{"type":"json_schema","schema":{}}`), "output_format", unsupported),
	}
}

// metadataCases runs the metadata rules on every surface: they are shared.
func metadataCases() []tc {
	var out []tc
	for _, sb := range []struct {
		s    Surface
		body func(string) string
	}{{Chat, chat}, {Responses, resp}, {Messages, msgs}} {
		s, b := sb.s, sb.body
		n := string(s) + "/metadata/"
		window := func(w string) func(*testing.T, *Request) {
			return func(t *testing.T, r *Request) {
				if r.Window != w {
					t.Errorf("Window = %q, want %q", r.Window, w)
				}
			}
		}
		var pairs []string
		for i := range 17 {
			pairs = append(pairs, `"k`+string(rune('a'+i))+`":"v"`)
		}
		out = append(out,
			tc{name: n + "window-default", s: s, row: "metadata", body: b(""), check: window("15m")},
			tc{name: n + "window-asap", s: s, row: "metadata", body: b(`"metadata":{"completion_window":"asap"}`), check: window("asap")},
			tc{name: n + "window-15m", s: s, row: "metadata", body: b(`"metadata":{"completion_window":"15m"}`), check: window("15m")},
			tc{name: n + "window-24h", s: s, row: "metadata", body: b(`"metadata":{"completion_window":"24h"}`), check: window("24h")},
			bad(n+"window-1h", s, "metadata", b(`"metadata":{"completion_window":"1h"}`), "metadata.completion_window", badValue),
			bad(n+"window-empty", s, "metadata", b(`"metadata":{"completion_window":""}`), "metadata.completion_window", badValue),
			bad(n+"window-number", s, "metadata", b(`"metadata":{"completion_window":15}`), "metadata.completion_window", wrongType),
			tc{name: n + "webhook", s: s, row: "metadata", body: b(`"metadata":{"completion_webhook":"https://hooks.example.com/x?y=1","webhook_token":"tok"}`),
				check: func(t *testing.T, r *Request) {
					if r.Webhook != "https://hooks.example.com/x?y=1" || r.WebhookToken != "tok" {
						t.Errorf("Webhook, WebhookToken = %q, %q", r.Webhook, r.WebhookToken)
					}
				}},
			tc{name: n + "webhook-escaped", s: s, row: "metadata", body: b(`"metadata":{"completion_webhook":"http:\/\/10.0.0.2:8080\/done"}`),
				check: func(t *testing.T, r *Request) {
					if r.Webhook != "http://10.0.0.2:8080/done" {
						t.Errorf("Webhook = %q", r.Webhook)
					}
				}},
			tc{name: n + "webhook-invalid-is-ignored", s: s, row: "metadata", body: b(`"metadata":{"completion_webhook":"ftp://x/y"}`),
				check: func(t *testing.T, r *Request) {
					if r.Webhook != "" {
						t.Errorf("Webhook = %q, want none", r.Webhook)
					}
				}},
			tc{name: n + "webhook-relative-is-ignored", s: s, row: "metadata", body: b(`"metadata":{"completion_webhook":"/done"}`),
				check: func(t *testing.T, r *Request) {
					if r.Webhook != "" {
						t.Errorf("Webhook = %q, want none", r.Webhook)
					}
				}},
			ok(n+"user_id", s, "metadata", b(`"metadata":{"user_id":"u-1"}`)),
			ok(n+"null", s, "metadata", b(`"metadata":null`)),
			bad(n+"not-object", s, "metadata", b(`"metadata":"x"`), "metadata", wrongType),
			bad(n+"value-number", s, "metadata", b(`"metadata":{"k":1}`), "metadata.k", wrongType),
			bad(n+"too-many-pairs", s, "metadata", b(`"metadata":{`+strings.Join(pairs, ",")+`}`), "metadata", badValue),
			bad(n+"key-too-long", s, "metadata", b(`"metadata":{"`+strings.Repeat("k", 65)+`":"v"}`), "metadata", badValue),
			bad(n+"value-too-long", s, "metadata", b(`"metadata":{"k":"`+strings.Repeat("é", 513)+`"}`), "metadata.k", badValue),
			ok(n+"value-512", s, "metadata", b(`"metadata":{"k":"`+strings.Repeat("é", 512)+`"}`)),
			bad(n+"duplicate-key", s, "metadata", b(`"metadata":{"k":"a","k":"b"}`), "metadata.k", badValue),
		)
	}
	return out
}

// generalCases are the rules every surface shares: JSON shape, unknown and repeated fields.
func generalCases() []tc {
	var out []tc
	for _, sb := range []struct {
		s    Surface
		body func(string) string
	}{{Chat, chat}, {Responses, resp}, {Messages, msgs}} {
		s, b := sb.s, sb.body
		n := string(s) + "/"
		out = append(out,
			bad(n+"unknown-field", s, "", b(`"foo":1`), "foo", unknown),
			bad(n+"unknown-field-null", s, "", b(`"foo":null`), "foo", unknown),
			bad(n+"duplicate-field", s, "", b(`"temperature":0.1,"temperature":0.2`), "temperature", badValue),
			bad(n+"malformed", s, "", `{"model":`, "", badJSON),
			bad(n+"array", s, "", `[]`, "", badJSON),
			bad(n+"null", s, "", `null`, "", badJSON),
			bad(n+"string", s, "", `"hi"`, "", badJSON),
			bad(n+"empty", s, "", ``, "", badJSON),
			bad(n+"trailing-garbage", s, "", b("")+"x", "", badJSON),
			bad(n+"empty-object", s, "", `{}`, "model", missing),
			ok(n+"whitespace", s, "", " \n\t"+b("")+"\n"),
		)
	}
	return out
}

// generated adds a case for every value of a nested table that the matrix rejects, so each such
// row is exercised exactly as a client would send it.
func generatedCases(v *Validator) []tc {
	var out []tc
	add := func(s Surface, e *enum, body func(val string) string, param string) {
		for _, r := range e.rows {
			if r.Verdict == Rejected {
				out = append(out, bad(string(s)+"/"+r.Field, s, r.Field, body(r.key), param, unsupported))
			}
		}
	}
	add(Responses, v.enums.respItems, func(t string) string {
		return respInput(`{"role":"user","content":"hi"}`, `{"type":"`+t+`","id":"x","call_id":"c","status":"completed"}`)
	}, "input[1].type")
	add(Responses, v.enums.respParts, func(t string) string {
		return respInput(`{"role":"user","content":[{"type":"input_text","text":"see"},{"type":"` + t + `","image_url":"https://x/y.png","file_id":"f"}]}`)
	}, "input[0].content[1]")
	add(Responses, v.enums.respOutput, func(t string) string {
		return respInput(`{"type":"function_call_output","call_id":"c","output":[{"type":"` + t + `","file_id":"f"}]}`)
	}, "input[0].output[0]")
	add(Responses, v.enums.respTools, func(t string) string {
		return resp(`"tools":[{"type":"function","name":"f"},{"type":"` + t + `","server_label":"x"}]`)
	}, "tools[1].type")
	add(Responses, v.enums.respChoices, func(t string) string {
		return resp(`"tool_choice":{"type":"` + t + `"}`)
	}, "tool_choice.type")
	add(Responses, v.enums.respInclude, func(t string) string {
		return resp(`"include":["message.output_text.text","` + t + `"]`)
	}, "include[1]")
	add(Messages, v.enums.msgBlocks, func(t string) string {
		return msgMsgs(`{"role":"user","content":[{"type":"text","text":"hi"},{"type":"` + t + `","source":{}}]}`)
	}, "messages[0].content[1].type")
	return out
}

func allCases(v *Validator) []tc {
	var cs []tc
	for _, part := range [][]tc{chatCases(), responsesCases(), messagesCases(), metadataCases(), generalCases(), generatedCases(v)} {
		cs = append(cs, part...)
	}
	return cs
}

// envelope is what a client reads: the status and the four envelope fields.
type envelope struct {
	status                     int
	typ, param, code, message  string
	paramNull, codeNull, valid bool
}

func readEnvelope(e *apierr.Error) envelope {
	raw := e.AppendJSON(nil)
	g := gjson.ParseBytes(raw)
	return envelope{
		status:    e.Status,
		typ:       g.Get("error.type").String(),
		param:     g.Get("error.param").String(),
		paramNull: g.Get("error.param").Type == gjson.Null,
		code:      g.Get("error.code").String(),
		message:   g.Get("error.message").String(),
		valid:     gjson.ValidBytes(raw),
	}
}

func TestValidate(t *testing.T) {
	v := New(Config{})
	seen := map[string]bool{}
	for _, c := range allCases(v) {
		if seen[c.name] {
			t.Fatalf("case name %q used twice", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			var r Request
			err := v.Validate(c.s, []byte(c.body), &r)
			if c.code == "" {
				if err != nil {
					t.Fatalf("rejected: %v\nbody: %s", err, c.body)
				}
				if r.Surface != c.s || r.Model == "" || r.Window == "" {
					t.Errorf("Request = %+v: want surface, model and window filled", r)
				}
				if c.check != nil {
					c.check(t, &r)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %s on %q\nbody: %s", c.code, c.param, c.body)
			}
			env := readEnvelope(err)
			if !env.valid || env.status != 400 || env.typ != apierr.TypeInvalidRequest {
				t.Errorf("status %d, type %q (valid JSON %v); want 400 %s", env.status, env.typ, env.valid, apierr.TypeInvalidRequest)
			}
			if env.param != c.param || env.paramNull != (c.param == "") {
				t.Errorf("param = %q (null %v), want %q", env.param, env.paramNull, c.param)
			}
			if env.code != c.code {
				t.Errorf("code = %q, want %q (message: %s)", env.code, c.code, env.message)
			}
			if env.message == "" {
				t.Error("empty message")
			}
		})
	}
}

// TestEveryRowHasACase holds the tests to the matrix: each row of each table is exercised by at
// least one named case, and each Rejected row by a case that is rejected.
func TestEveryRowHasACase(t *testing.T) {
	v := New(Config{})
	covered := map[string]bool{}
	rejected := map[string]bool{}
	for _, c := range allCases(v) {
		covered[string(c.s)+" "+c.row] = true
		if c.code != "" {
			rejected[string(c.s)+" "+c.row] = true
		}
	}
	for _, s := range []Surface{Chat, Responses, Messages} {
		for _, r := range v.Rows(s) {
			k := string(s) + " " + r.Field
			if !covered[k] {
				t.Errorf("%s: row %q has no case", s, r.Field)
			}
			if r.Verdict == Rejected && !rejected[k] {
				t.Errorf("%s: rejected row %q has no rejecting case", s, r.Field)
			}
		}
	}
}

func TestRejectedMessagesSayWhatToUse(t *testing.T) {
	v := New(Config{})
	cases := []struct {
		s        Surface
		body     string
		contains string
	}{
		{Chat, chat(`"max_tokens":100`), "use max_completion_tokens"},
		{Chat, chat(`"functions":[{"name":"f"}]`), "use tools"},
		{Chat, chat(`"function_call":"auto"`), "use tool_choice"},
		{Responses, resp(`"instructions":"x"`), "system messages directly in input"},
		{Responses, resp(`"text":{"format":{"type":"json_object"}}`), `use "json_schema"`},
		{Responses, resp(`"store":false`), "always stores"},
		{Chat, chat(`"metadata":{"completion_window":"1h"}`), `"asap", "15m", "24h"`},
		{Messages, msgs(`"output_format":{}`), "output_config.format"},
	}
	for _, c := range cases {
		err := v.Validate(c.s, []byte(c.body), nil)
		if err == nil || !strings.Contains(err.Message, c.contains) {
			t.Errorf("%s %s: error %v, want a message containing %q", c.s, c.body, err, c.contains)
		}
	}
}

func TestConfiguredWindows(t *testing.T) {
	v := New(Config{Windows: []string{"asap", "priority", "standard", "flex"}, DefaultWindow: "standard"})
	var r Request
	if err := v.Validate(Chat, []byte(chat("")), &r); err != nil || r.Window != "standard" {
		t.Fatalf("default: %v, Window %q; want standard", err, r.Window)
	}
	if err := v.Validate(Responses, []byte(resp(`"metadata":{"completion_window":"flex"}`)), &r); err != nil || r.Window != "flex" {
		t.Fatalf("flex: %v, Window %q", err, r.Window)
	}
	err := v.Validate(Messages, []byte(msgs(`"metadata":{"completion_window":"24h"}`)), &r)
	if err == nil || err.Param != "metadata.completion_window" || !strings.Contains(err.Message, `"priority"`) {
		t.Fatalf("24h under the four-tier vocabulary: %v", err)
	}
}

func TestRequestDoesNotAliasBody(t *testing.T) {
	v := New(Config{})
	body := []byte(chat(`"metadata":{"completion_webhook":"https://h.example/x","webhook_token":"tok"}`))
	var r Request
	if err := v.Validate(Chat, body, &r); err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'X'
	}
	if r.Model != "m" || r.Webhook != "https://h.example/x" || r.WebhookToken != "tok" {
		t.Fatalf("Request changed with the body: %+v", r)
	}
	body = []byte(chat(`"fooo":1`))
	err := v.Validate(Chat, body, &r)
	for i := range body {
		body[i] = 'X'
	}
	if err == nil || err.Param != "fooo" {
		t.Fatalf("error param changed with the body: %v", err)
	}
}

func TestResetBetweenCalls(t *testing.T) {
	v := New(Config{})
	var r Request
	if err := v.Validate(Responses, []byte(resp(`"background":true,"max_output_tokens":9,"metadata":{"completion_window":"24h","webhook_token":"t"}`)), &r); err != nil {
		t.Fatal(err)
	}
	if err := v.Validate(Chat, []byte(chat("")), &r); err != nil {
		t.Fatal(err)
	}
	if r != (Request{Surface: Chat, Model: "m", Window: "15m"}) {
		t.Fatalf("Request after reuse = %+v", r)
	}
}

func TestUnknownSurface(t *testing.T) {
	v := New(Config{})
	err := v.Validate(Batch, []byte(resp("")), nil)
	if err == nil || err.Status != 500 {
		t.Fatalf("Batch surface: %v, want a 500 (a caller bug)", err)
	}
	if v.Rows(Batch) != nil {
		t.Fatal("Rows(Batch) should be nil")
	}
}

func TestRows(t *testing.T) {
	v := New(Config{})
	for _, s := range []Surface{Chat, Responses, Messages} {
		rows := v.Rows(s)
		if len(rows) == 0 {
			t.Fatalf("%s: no rows", s)
		}
		fields := map[string]bool{}
		for _, r := range rows {
			if r.Field == "" || r.Text == "" || r.Verdict < Supported || r.Verdict > Constrained {
				t.Errorf("%s: incomplete row %+v", s, r)
			}
			if fields[r.Field] {
				t.Errorf("%s: row %q listed twice", s, r.Field)
			}
			fields[r.Field] = true
		}
		if t := v.table(s); len(t.fields) > 64 {
			panic("a table holds at most 64 fields: duplicate detection uses a uint64")
		}
	}
	// Rows is data for docs: callers may keep it; changing it must not change validation.
	rows := v.Rows(Chat)
	for i := range rows {
		rows[i].Verdict = Supported
	}
	if err := v.Validate(Chat, []byte(chat(`"stream":true`)), nil); err == nil {
		t.Fatal("editing Rows changed the validator")
	}
}
