package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

func chatFunctionTool(name string) M {
	return M{"type": "function", "function": M{"name": name, "description": "Current weather for a city",
		"parameters": weatherParams, "strict": true}}
}

func chatCustomTool(name string) M {
	return M{"type": "custom", "custom": M{"name": name, "description": "Runs one SQL query and returns the rows"}}
}

func chatUser(text string) M { return M{"messages": A{M{"role": "user", "content": text}}} }

func withUser(text string, extra M) M { return merge(chatUser(text), extra) }

// wantChatText checks a text answer: string content, no tool calls, finish_reason "stop".
func wantChatText(r gjson.Result) error {
	if _, err := replyText(Chat, r); err != nil {
		return err
	}
	if fr := r.Get("choices.0.finish_reason").Str; fr != "stop" {
		return errorf(`finish_reason %q, want "stop" for a text answer`, fr)
	}
	return nil
}

// wantChatCall checks a tool call of the named function or custom tool.
func wantChatCall(typ, name string) func(gjson.Result) error {
	return func(r gjson.Result) error {
		if fr := r.Get("choices.0.finish_reason").Str; fr != "tool_calls" {
			return errorf(`finish_reason %q, want "tool_calls"`, fr)
		}
		calls := r.Get("choices.0.message.tool_calls").Array()
		if len(calls) == 0 {
			return errorf("no message.tool_calls: %s", trim(r.Get("choices.0.message").Raw))
		}
		tc := calls[0]
		if err := wantStrings(tc, "id"); err != nil {
			return err
		}
		if t := tc.Get("type").Str; t != typ {
			return errorf("tool_calls[0].type %q, want %q", t, typ)
		}
		if got := tc.Get(typ + ".name").Str; got != name {
			return errorf("tool_calls[0].%s.name %q, want %q", typ, got, name)
		}
		switch typ {
		case "function":
			if a := tc.Get("function.arguments"); a.Type != gjson.String || !json.Valid([]byte(a.Str)) {
				return errorf("tool_calls[0].function.arguments is not a JSON string: %s", a.Raw)
			}
		case "custom":
			if tc.Get("custom.input").Type != gjson.String {
				return errorf("tool_calls[0].custom.input is not a string: %s", orMissing(tc.Get("custom.input")))
			}
		}
		return nil
	}
}

func chatSupportedCases() []Case {
	S, sec := Chat, SecChatSupported
	weather := A{chatFunctionTool("get_weather")}
	cases := []Case{
		acceptCase(S, sec, "chat/core/basic", "Core parameters",
			"model, messages, max_completion_tokens, temperature, top_p, user → 200 chat.completion with text",
			M{"max_completion_tokens": 256, "temperature": 0.7, "top_p": 0.9, "user": "conformance-user"}, wantChatText),
		acceptCase(S, sec, "chat/core/max-completion-tokens", "Core parameters",
			"max_completion_tokens: 16 on a long answer → usage.completion_tokens ≤ 16",
			withUser(longText, M{"max_completion_tokens": 16}), func(r gjson.Result) error {
				if n := r.Get("usage.completion_tokens").Int(); n > 16 {
					return errorf("usage.completion_tokens %d exceeds max_completion_tokens 16", n)
				}
				return nil
			}),
		acceptCase(S, sec, "chat/roles/system-developer", "Message roles", "system and developer messages → 200 with text",
			M{"messages": A{
				M{"role": "system", "content": "Answer briefly."},
				M{"role": "developer", "content": "Use plain words."},
				M{"role": "user", "content": "Name a colour."},
			}}, wantChatText),
		acceptCase(S, sec, "chat/roles/assistant", "Message roles", "user/assistant/user turns (text parts too) → 200 with text",
			M{"messages": A{
				M{"role": "user", "content": "Hi!"},
				M{"role": "assistant", "content": "Hello. How can I help?"},
				M{"role": "user", "content": A{M{"type": "text", "text": "Name a colour."}}},
			}}, wantChatText),
		acceptCase(S, sec, "chat/roles/tool", "Message roles", "assistant tool_calls then a tool message → 200",
			M{"tools": weather, "messages": A{
				M{"role": "user", "content": "What is the weather in Oslo?"},
				M{"role": "assistant", "content": nil, "tool_calls": A{M{"id": "call_conformance_1", "type": "function",
					"function": M{"name": "get_weather", "arguments": `{"city":"Oslo"}`}}}},
				M{"role": "tool", "tool_call_id": "call_conformance_1", "content": `{"temp_c":3,"sky":"clear"}`},
			}}, nil),
		acceptCase(S, sec, "chat/roles/function", "Message roles", "a (deprecated) function message → 200",
			M{"messages": A{
				M{"role": "user", "content": "What is the weather in Oslo?"},
				M{"role": "function", "name": "get_weather", "content": `{"temp_c":3,"sky":"clear"}`},
				M{"role": "user", "content": "Summarise that in one sentence."},
			}}, nil),
		acceptCase(S, sec, "chat/format/text", "Structured outputs", `response_format {type: "text"} → 200 with text`,
			M{"response_format": M{"type": "text"}}, wantChatText),
		acceptCase(S, sec, "chat/format/json-object", "Structured outputs", `response_format {type: "json_object"} → content is a JSON object`,
			withUser("Reply with a JSON object describing one city.", M{"response_format": M{"type": "json_object"}}),
			func(r gjson.Result) error {
				text, err := replyText(Chat, r)
				if err != nil {
					return err
				}
				return jsonWithKeys(text)
			}),
		acceptCase(S, sec, "chat/format/json-schema", "Structured outputs", `response_format {type: "json_schema", strict} → content has the schema's keys`,
			withUser("Name one city and its population.", M{"response_format": M{"type": "json_schema",
				"json_schema": M{"name": "city", "schema": citySchema, "strict": true}}}),
			func(r gjson.Result) error {
				text, err := replyText(Chat, r)
				if err != nil {
					return err
				}
				return jsonWithKeys(text, "name", "population")
			}),
	}
	for _, e := range []string{"low", "medium", "high"} {
		cases = append(cases, acceptCase(S, sec, "chat/reasoning/effort-"+e, "Reasoning",
			fmt.Sprintf("reasoning_effort %q → 200 with text", e), M{"reasoning_effort": e}, wantChatText))
	}
	cases = append(cases,
		acceptCase(S, sec, "chat/tools/function", "Function tools",
			`tools [{type: "function", function: {name, description, parameters, strict}}] + "required" → tool_calls`,
			withUser(toolText, M{"tools": weather, "tool_choice": "required"}), wantChatCall("function", "get_weather")),
		acceptCase(S, sec, "chat/tools/custom", "Custom tools",
			`tools [{type: "custom"}] + tool_choice {type: "custom", custom: {name}} → a custom tool call`,
			withUser("How many users signed up today? Use run_sql.", M{"tools": A{chatCustomTool("run_sql")},
				"tool_choice": M{"type": "custom", "custom": M{"name": "run_sql"}}}), wantChatCall("custom", "run_sql")),
		acceptCase(S, sec, "chat/tool-choice/none", "Tool choice", `tool_choice "none" → text, no tool_calls`,
			withUser(toolText, M{"tools": weather, "tool_choice": "none"}), func(r gjson.Result) error {
				if n := len(r.Get("choices.0.message.tool_calls").Array()); n > 0 {
					return errorf("tool_choice none, yet %d tool calls", n)
				}
				return wantChatText(r)
			}),
		acceptCase(S, sec, "chat/tool-choice/auto", "Tool choice", `tool_choice "auto" → 200 (text or tool_calls)`,
			withUser(toolText, M{"tools": weather, "tool_choice": "auto"}), func(r gjson.Result) error {
				if len(r.Get("choices.0.message.tool_calls").Array()) > 0 {
					return wantChatCall("function", "get_weather")(r)
				}
				return wantChatText(r)
			}),
		acceptCase(S, sec, "chat/tool-choice/required", "Tool choice", `tool_choice "required" → tool_calls`,
			withUser("Hello there.", M{"tools": weather, "tool_choice": "required"}), wantChatCall("function", "get_weather")),
		acceptCase(S, sec, "chat/tool-choice/function", "Tool choice",
			`tool_choice {type: "function", function: {name: "get_weather"}} with two tools → calls get_weather`,
			withUser(toolText, M{"tools": A{chatFunctionTool("get_time"), chatFunctionTool("get_weather")},
				"tool_choice": M{"type": "function", "function": M{"name": "get_weather"}}}), wantChatCall("function", "get_weather")),
		acceptCase(S, sec, "chat/tool-choice/custom", "Tool choice",
			`tool_choice {type: "custom", custom: {name: "run_sql"}} with two tools → calls run_sql`,
			withUser("How many users are there?", M{"tools": A{chatCustomTool("run_python"), chatCustomTool("run_sql")},
				"tool_choice": M{"type": "custom", "custom": M{"name": "run_sql"}}}), wantChatCall("custom", "run_sql")),
		acceptCase(S, sec, "chat/parallel-tool-calls/true", "Parallel tool calls", "parallel_tool_calls: true → 200 (passed through)",
			withUser(toolText, M{"tools": weather, "parallel_tool_calls": true}), nil),
		acceptCase(S, sec, "chat/parallel-tool-calls/false", "Parallel tool calls", "parallel_tool_calls: false → 200 (passed through)",
			withUser(toolText, M{"tools": weather, "parallel_tool_calls": false}), nil),
		acceptCase(S, sec, "chat/metadata/strings", "Metadata", "metadata with string key-value pairs → 200",
			M{"metadata": M{"team": "conformance", "purpose": "support matrix"}}, wantChatText),
		acceptCase(S, sec, "chat/metadata/window-webhook", "Metadata", "metadata with completion_window and completion_webhook → 200",
			M{"metadata": M{"team": "conformance", "completion_window": "asap", "completion_webhook": unreachableHook}}, wantChatText),
	)
	return cases
}

// unreachableHook is a webhook target that can never resolve (RFC 2606), for cases that only
// check that a request naming a webhook is accepted.
const unreachableHook = "https://webhook.invalid/conformance"

func chatRejectedCases() []Case {
	S, sec := Chat, SecChatRejected
	userPart := func(part M) M {
		return M{"messages": A{M{"role": "user", "content": A{M{"type": "text", "text": "What is this?"}, part}}}}
	}
	cases := []Case{
		rejectCase(S, sec, "chat/reject/stream", "Streaming", "stream: true", "stream", M{"stream": true}),
		rejectCase(S, sec, "chat/reject/n", "Multiple choices", "n: 2", "n", M{"n": 2}),
		acceptCase(S, sec, "chat/accept/n-1", "Multiple choices", "n: 1 → 200 with one choice", M{"n": 1}, exactlyOneChoice),
		rejectCase(S, sec, "chat/reject/image-url", "Multimodal content", "image_url content part", "messages[0]",
			userPart(M{"type": "image_url", "image_url": M{"url": "https://example.com/cat.png"}})),
		rejectCase(S, sec, "chat/reject/input-audio", "Multimodal content", "input_audio content part", "messages[0]",
			userPart(M{"type": "input_audio", "input_audio": M{"data": "UklGRg==", "format": "wav"}})),
	}
	for _, f := range []struct {
		field string
		value any
	}{
		{"frequency_penalty", 0.5}, {"presence_penalty", 0.5}, {"logit_bias", M{"1734": -100}},
		{"stop", A{"END"}}, {"seed", 42}, {"top_logprobs", 2}, {"logprobs", true},
	} {
		what, _ := json.Marshal(f.value)
		cases = append(cases, rejectCase(S, sec, "chat/reject/"+strings.ReplaceAll(f.field, "_", "-"), "Sampling controls",
			fmt.Sprintf("%s: %s", f.field, what), f.field, M{f.field: f.value}))
	}
	cases = append(cases,
		rejectCase(S, sec, "chat/reject/audio", "Audio modality", "audio {voice, format}", "audio",
			M{"audio": M{"voice": "alloy", "format": "mp3"}, "modalities": A{"text"}}),
		rejectCase(S, sec, "chat/reject/modalities-audio", "Audio modality", `modalities: ["text", "audio"]`, "modalities",
			M{"modalities": A{"text", "audio"}}),
		acceptCase(S, sec, "chat/accept/modalities-text", "Audio modality", `modalities: ["text"] (asks for nothing) → 200`,
			M{"modalities": A{"text"}}, nil),
		rejectCase(S, sec, "chat/reject/prediction", "Predicted output", "prediction {type: content}", "prediction",
			M{"prediction": M{"type": "content", "content": "Hello"}}),
		rejectCase(S, sec, "chat/reject/web-search-options", "Web search", "web_search_options: {}", "web_search_options",
			M{"web_search_options": M{}}),
		acceptCase(S, sec, "chat/accept/service-tier-auto", "Service tier", `service_tier: "auto" → 200`,
			M{"service_tier": "auto"}, nil),
		rejectCase(S, sec, "chat/reject/service-tier-flex", "Service tier", `service_tier: "flex"`, "service_tier",
			M{"service_tier": "flex"}),
		rejectCase(S, sec, "chat/reject/service-tier-priority", "Service tier", `service_tier: "priority"`, "service_tier",
			M{"service_tier": "priority"}),
		storedCompletionCase("chat/reject/crud-get", "GET", "/%s"),
		storedCompletionCase("chat/reject/crud-update", "POST", "/%s"),
		storedCompletionCase("chat/reject/crud-delete", "DELETE", "/%s"),
		storedCompletionCase("chat/reject/crud-messages", "GET", "/%s/messages"),
		endpointGoneCase(S, sec, "chat/reject/crud-list", "CRUD endpoints", "GET", chatPath, nil),
		rejectCase(S, sec, "chat/reject/max-tokens", "Deprecated fields", "max_tokens: 64", "max_tokens", M{"max_tokens": 64}),
		rejectCase(S, sec, "chat/reject/functions", "Deprecated fields", "functions [{name, parameters}]", "functions",
			M{"functions": A{M{"name": "get_weather", "parameters": weatherParams}}}),
		rejectCase(S, sec, "chat/reject/function-call", "Deprecated fields", `function_call: "auto"`, "function_call",
			M{"function_call": "auto"}),
	)
	return cases
}

// storedCompletionCase creates a completion, then calls a stored-completion endpoint on its id:
// the endpoint must be refused, not serve the stored object.
func storedCompletionCase(id, method, suffix string) Case {
	return Case{
		ID: id, Surface: Chat, Section: SecChatRejected, Row: "CRUD endpoints",
		Expect: fmt.Sprintf("%s /v1/chat/completions%s on a real id → 404/405/501 envelope", method, fmt.Sprintf(suffix, "{id}")),
		Run: func(ctx context.Context, c *Client) error {
			root, _, err := succeed(ctx, c, chatPath, c.chatBody(nil))
			if err != nil {
				return err
			}
			var body any
			if method == "POST" {
				body = M{"metadata": M{"team": "conformance"}}
			}
			r, err := c.do(ctx, method, chatPath+fmt.Sprintf(suffix, root.Get("id").Str), body)
			if err != nil {
				return err
			}
			return notImplemented(r)
		},
	}
}

func exactlyOneChoice(r gjson.Result) error {
	ch := r.Get("choices").Array()
	if len(ch) != 1 {
		return errorf("%d choices, want exactly one", len(ch))
	}
	if !isInt(ch[0].Get("index")) || ch[0].Get("index").Int() != 0 {
		return errorf("choices[0].index is %s, want 0", orMissing(ch[0].Get("index")))
	}
	return nil
}

func chatNotesCases() []Case {
	S, sec := Chat, SecChatNotes
	const (
		oneChoice = "Responses always contain exactly one choice (n=1)."
		finish    = `finish_reason is either "stop" or "tool_calls".`
		omitted   = "system_fingerprint and service_tier are not included in responses."
		logprobs  = "logprobs is always null."
	)
	noExtras := func(r gjson.Result) error { return wantAbsent(r, "system_fingerprint", "service_tier") }
	logprobsNull := func(r gjson.Result) error {
		v := r.Get("choices.0.logprobs")
		if !v.Exists() || v.Type != gjson.Null {
			return errorf("choices[0].logprobs is %s, want null", orMissing(v))
		}
		return nil
	}
	return []Case{
		acceptCase(S, sec, "chat/notes/one-choice", oneChoice, "a plain request → exactly one choice, index 0", nil, exactlyOneChoice),
		acceptCase(S, sec, "chat/notes/one-choice-tools", oneChoice, "a tool call reply → exactly one choice",
			withUser(toolText, M{"tools": A{chatFunctionTool("get_weather")}, "tool_choice": "required"}), exactlyOneChoice),
		acceptCase(S, sec, "chat/notes/finish-stop", finish, `a text answer → finish_reason "stop"`, nil, wantChatText),
		acceptCase(S, sec, "chat/notes/finish-length-is-stop", finish,
			`an answer cut by max_completion_tokens → finish_reason "stop", never "length"`,
			withUser(longText, M{"max_completion_tokens": 16}), func(r gjson.Result) error {
				if fr := r.Get("choices.0.finish_reason").Str; fr != "stop" {
					return errorf(`finish_reason %q, want "stop"`, fr)
				}
				return nil
			}),
		acceptCase(S, sec, "chat/notes/finish-tool-calls", finish, `a tool call → finish_reason "tool_calls"`,
			withUser(toolText, M{"tools": A{chatFunctionTool("get_weather")}, "tool_choice": "required"}),
			wantChatCall("function", "get_weather")),
		acceptCase(S, sec, "chat/notes/no-fingerprint-tier", omitted, "no system_fingerprint or service_tier key", nil, noExtras),
		acceptCase(S, sec, "chat/notes/no-tier-when-asked", omitted, `service_tier: "auto" sent → still no service_tier key`,
			M{"service_tier": "auto"}, noExtras),
		acceptCase(S, sec, "chat/notes/logprobs-null", logprobs, "choices[0].logprobs is present and null", nil, logprobsNull),
		acceptCase(S, sec, "chat/notes/logprobs-null-when-false", logprobs, "logprobs: false sent → choices[0].logprobs null",
			M{"logprobs": false}, logprobsNull),
	}
}
