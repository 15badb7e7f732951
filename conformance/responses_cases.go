package conformance

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/tidwall/gjson"
)

// Rows of the Responses API tables, worded as in the document.
const (
	rowRespCore       = "Core parameters"
	rowRespStructured = "Structured outputs"
	rowRespReasoning  = "Reasoning"
	rowRespFunc       = "Function tools"
	rowRespCustom     = "Custom tools"
	rowRespToolChoice = "Tool choice"
	rowRespBackground = "Background mode"
)

func responsesFunctionTool(name string) M {
	return M{"type": "function", "name": name, "description": "Current weather for a city",
		"parameters": weatherParams, "strict": true}
}

func responsesCustomTool(name string) M {
	return M{"type": "custom", "name": name, "description": "Runs one SQL query and returns the rows"}
}

// wantFunctionCall checks that the response called the named function with JSON arguments.
func wantFunctionCall(name string) func(gjson.Result) error {
	return func(r gjson.Result) error {
		calls := outputItems(r, "function_call")
		if len(calls) == 0 {
			return errorf("no function_call item in output: %s", trim(r.Get("output").Raw))
		}
		fc := calls[0]
		if err := wantStrings(fc, "call_id", "name"); err != nil {
			return fmt.Errorf("function_call: %w", err)
		}
		if fc.Get("name").Str != name {
			return errorf("function_call.name %q, want %q", fc.Get("name").Str, name)
		}
		if a := fc.Get("arguments"); a.Type != gjson.String || !json.Valid([]byte(a.Str)) {
			return errorf("function_call.arguments is not a JSON string: %s", a.Raw)
		}
		return nil
	}
}

func wantCustomCall(name string) func(gjson.Result) error {
	return func(r gjson.Result) error {
		calls := outputItems(r, "custom_tool_call")
		if len(calls) == 0 {
			return errorf("no custom_tool_call item in output: %s", trim(r.Get("output").Raw))
		}
		cc := calls[0]
		if err := wantStrings(cc, "call_id", "name"); err != nil {
			return fmt.Errorf("custom_tool_call: %w", err)
		}
		if cc.Get("name").Str != name {
			return errorf("custom_tool_call.name %q, want %q", cc.Get("name").Str, name)
		}
		if cc.Get("input").Type != gjson.String {
			return errorf("custom_tool_call.input is not a string: %s", orMissing(cc.Get("input")))
		}
		return nil
	}
}

func wantText(r gjson.Result) error {
	_, err := outputText(r)
	return err
}

func responsesSupportedCases() []Case {
	S, sec := Responses, SecRespSupported
	weather := A{responsesFunctionTool("get_weather")}
	twoFuncs := A{responsesFunctionTool("get_time"), responsesFunctionTool("get_weather")}
	cases := []Case{
		acceptCase(S, sec, "responses/core/string-input", rowRespCore,
			"string input with max_output_tokens, temperature, top_p, user → 200 completed response with assistant text",
			M{"max_output_tokens": 256, "temperature": 0.7, "top_p": 0.9, "user": "conformance-user"}, wantText),
		acceptCase(S, sec, "responses/core/message-array", rowRespCore,
			"input as a message array (system, user, assistant, input_text parts) → 200 with assistant text",
			M{"input": A{
				M{"role": "system", "content": "Answer briefly."},
				M{"role": "user", "content": "Hi!"},
				M{"role": "assistant", "content": "Hello. How can I help?"},
				M{"type": "message", "role": "user", "content": A{M{"type": "input_text", "text": "Name a colour."}}},
			}}, wantText),
		acceptCase(S, sec, "responses/core/max-output-tokens", rowRespCore,
			"max_output_tokens: 16 on a long answer → usage.output_tokens ≤ 16",
			M{"input": longText, "max_output_tokens": 16}, func(r gjson.Result) error {
				if n := r.Get("usage.output_tokens").Int(); n > 16 {
					return errorf("usage.output_tokens %d exceeds max_output_tokens 16", n)
				}
				if r.Get("status").Str == "incomplete" && r.Get("incomplete_details.reason").Str != "max_output_tokens" {
					return errorf("incomplete_details %s, want reason max_output_tokens", r.Get("incomplete_details").Raw)
				}
				return nil
			}),
		acceptCase(S, sec, "responses/text/format-text", rowRespStructured,
			`text.format {type: "text"} → 200 with text`,
			M{"text": M{"format": M{"type": "text"}}}, wantText),
		acceptCase(S, sec, "responses/text/format-json-schema", rowRespStructured,
			`text.format {type: "json_schema", strict} → output text is JSON with the schema's keys`,
			M{"input": "Name one city and its population.",
				"text": M{"format": M{"type": "json_schema", "name": "city", "schema": citySchema, "strict": true}}},
			func(r gjson.Result) error {
				text, err := outputText(r)
				if err != nil {
					return err
				}
				return jsonWithKeys(text, "name", "population")
			}),
	}
	for _, e := range []string{"low", "medium", "high"} {
		cases = append(cases, acceptCase(S, sec, "responses/reasoning/effort-"+e, rowRespReasoning,
			fmt.Sprintf("reasoning.effort %q → 200 with text", e),
			M{"reasoning": M{"effort": e}}, wantText))
	}
	for _, g := range []string{"auto", "concise", "detailed"} {
		cases = append(cases, acceptCase(S, sec, "responses/reasoning/generate-summary-"+g, rowRespReasoning,
			fmt.Sprintf("reasoning.generate_summary %q → 200; any reasoning item has a summary array", g),
			M{"reasoning": M{"effort": "medium", "generate_summary": g}}, func(r gjson.Result) error {
				for _, it := range outputItems(r, "reasoning") {
					if !it.Get("summary").IsArray() {
						return errorf("reasoning item without a summary array: %s", trim(it.Raw))
					}
				}
				return wantText(r)
			}))
	}
	cases = append(cases,
		acceptCase(S, sec, "responses/tools/function", rowRespFunc,
			`tools [{type: "function", name, description, parameters, strict}] + tool_choice "required" → function_call item`,
			M{"input": toolText, "tools": weather, "tool_choice": "required"}, wantFunctionCall("get_weather")),
		acceptCase(S, sec, "responses/tools/function-output", rowRespFunc,
			"function_call + function_call_output items sent back → 200 completed",
			M{"tools": weather, "tool_choice": "auto", "input": A{
				M{"role": "user", "content": "What is the weather in Oslo?"},
				M{"type": "function_call", "call_id": "call_conformance_1", "name": "get_weather", "arguments": `{"city":"Oslo"}`},
				M{"type": "function_call_output", "call_id": "call_conformance_1", "output": `{"temp_c":3,"sky":"clear"}`},
			}}, nil),
		acceptCase(S, sec, "responses/tools/custom", rowRespCustom,
			`tools [{type: "custom"}] + tool_choice {type: "custom", name} → custom_tool_call item with string input`,
			M{"input": "How many users signed up today? Use run_sql.", "tools": A{responsesCustomTool("run_sql")},
				"tool_choice": M{"type": "custom", "name": "run_sql"}}, wantCustomCall("run_sql")),
		acceptCase(S, sec, "responses/tools/custom-output", rowRespCustom,
			"custom_tool_call + custom_tool_call_output items sent back → 200 completed",
			M{"tools": A{responsesCustomTool("run_sql")}, "tool_choice": "auto", "input": A{
				M{"role": "user", "content": "How many users signed up today?"},
				M{"type": "custom_tool_call", "call_id": "call_conformance_2", "name": "run_sql", "input": "SELECT count(*) FROM users"},
				M{"type": "custom_tool_call_output", "call_id": "call_conformance_2", "output": "42"},
			}}, nil),
		acceptCase(S, sec, "responses/tool-choice/none", rowRespToolChoice,
			`tool_choice "none" → no tool call in output`,
			M{"input": toolText, "tools": weather, "tool_choice": "none"}, func(r gjson.Result) error {
				if n := len(outputItems(r, "function_call")); n > 0 {
					return errorf("tool_choice none, yet %d function_call items", n)
				}
				return wantText(r)
			}),
		acceptCase(S, sec, "responses/tool-choice/auto", rowRespToolChoice,
			`tool_choice "auto" → 200 (text or a function_call)`,
			M{"input": toolText, "tools": weather, "tool_choice": "auto"}, func(r gjson.Result) error {
				if len(outputItems(r, "function_call")) > 0 {
					return wantFunctionCall("get_weather")(r)
				}
				return wantText(r)
			}),
		acceptCase(S, sec, "responses/tool-choice/required", rowRespToolChoice,
			`tool_choice "required" → a function_call`,
			M{"input": "Hello there.", "tools": weather, "tool_choice": "required"}, wantFunctionCall("get_weather")),
		acceptCase(S, sec, "responses/tool-choice/function", rowRespToolChoice,
			`tool_choice {type: "function", name: "get_weather"} with two tools → calls get_weather`,
			M{"input": toolText, "tools": twoFuncs, "tool_choice": M{"type": "function", "name": "get_weather"}},
			wantFunctionCall("get_weather")),
		acceptCase(S, sec, "responses/tool-choice/custom", rowRespToolChoice,
			`tool_choice {type: "custom", name: "run_sql"} with two tools → calls run_sql`,
			M{"input": "How many users are there?", "tools": A{responsesCustomTool("run_python"), responsesCustomTool("run_sql")},
				"tool_choice": M{"type": "custom", "name": "run_sql"}}, wantCustomCall("run_sql")),
		Case{
			ID: "responses/background/create-and-poll", Surface: S, Section: sec, Row: rowRespBackground,
			Expect: "background: true → 202 queued/in_progress at once; GET /v1/responses/{id} polls to completed",
			Run:    backgroundCase,
		},
	)
	return cases
}

func backgroundCase(ctx context.Context, c *Client) error {
	root, _, err := succeedWith(ctx, c, 202, responsesPath, c.responsesBody(M{"background": true}))
	if err != nil {
		return err
	}
	if err := responseShape(root); err != nil {
		return err
	}
	if st := root.Get("status").Str; st != "queued" && st != "in_progress" {
		return errorf("status %q at creation, want queued or in_progress", st)
	}
	if root.Get("background").Exists() && !root.Get("background").Bool() {
		return errorf("background is %s in the reply", root.Get("background").Raw)
	}
	id := root.Get("id").Str
	final, err := pollResponse(ctx, c, id)
	if err != nil {
		return err
	}
	if final.Get("id").Str != id {
		return errorf("GET returned id %q, want %q", final.Get("id").Str, id)
	}
	if st := final.Get("status").Str; st != "completed" {
		return errorf("final status %q, want completed: %s", st, trim(final.Raw))
	}
	return all(responseShape(final), wantText(final))
}

// serverSideTools are the tool types of the "Server-side tools" row, in OpenAI's wire spelling.
var serverSideTools = []struct{ name, id string }{
	{"web_search", "web-search"}, {"file_search", "file-search"}, {"code_interpreter", "code-interpreter"},
	{"computer_use_preview", "computer-use"}, {"mcp", "mcp"}, {"image_generation", "image-generation"},
	{"shell", "shell"}, {"apply_patch", "apply-patch"},
}

func serverSideTool(typ string) M {
	switch typ {
	case "file_search":
		return M{"type": typ, "vector_store_ids": A{"vs_conformance"}}
	case "code_interpreter":
		return M{"type": typ, "container": M{"type": "auto"}}
	case "computer_use_preview":
		return M{"type": typ, "display_width": 1024, "display_height": 768, "environment": "linux"}
	case "mcp":
		return M{"type": typ, "server_label": "docs", "server_url": "https://mcp.example.com/sse"}
	}
	return M{"type": typ}
}

// rejectedIncludes are the include values the Include row lists as rejected.
var rejectedIncludes = []struct{ value, id string }{
	{"reasoning.encrypted_content", "encrypted-content"}, {"web_search_call.action.sources", "web-search-sources"},
	{"code_interpreter_call.outputs", "code-interpreter-outputs"}, {"computer_call_output.output.image_url", "computer-image-url"},
	{"file_search_call.results", "file-search-results"}, {"message.input_image.image_url", "input-image-url"},
	{"message.output_text.logprobs", "output-logprobs"},
}

func responsesRejectedCases() []Case {
	S, sec := Responses, SecRespRejected
	userParts := func(part M) M { return M{"input": A{M{"role": "user", "content": A{part}}}} }
	cases := []Case{
		rejectCase(S, sec, "responses/reject/stream", "Streaming", "stream: true", "stream", M{"stream": true}),
		acceptCase(S, sec, "responses/accept/stream-false", "Streaming", "stream: false (asks for nothing) → 200", M{"stream": false}, nil),
		rejectCase(S, sec, "responses/reject/instructions", "Instructions", `instructions: "…"`, "instructions",
			M{"instructions": "You are a helpful assistant."}),
		rejectCase(S, sec, "responses/reject/previous-response-id", "Conversation chaining", "previous_response_id",
			"previous_response_id", M{"previous_response_id": "resp_conformance"}),
		rejectCase(S, sec, "responses/reject/conversation", "Conversation chaining", "conversation", "conversation",
			M{"conversation": "conv_conformance"}),
		rejectCase(S, sec, "responses/reject/prompt", "Prompt templates", "prompt {id}", "prompt",
			M{"prompt": M{"id": "pmpt_conformance", "version": "1"}}),
	}
	for _, t := range serverSideTools {
		cases = append(cases, rejectCase(S, sec, "responses/reject/tool-"+t.id, "Server-side tools",
			fmt.Sprintf("tools [{type: %q}]", t.name), "tools[0]", M{"tools": A{serverSideTool(t.name)}}))
	}
	cases = append(cases,
		rejectCase(S, sec, "responses/reject/input-image", "Multimodal input", "input_image content part",
			"input[0]", userParts(M{"type": "input_image", "image_url": "https://example.com/cat.png"})),
		rejectCase(S, sec, "responses/reject/input-audio", "Multimodal input", "input_audio content part",
			"input[0]", userParts(M{"type": "input_audio", "input_audio": M{"data": "UklGRg==", "format": "wav"}})),
		rejectCase(S, sec, "responses/reject/input-file", "Multimodal input", "input_file content part",
			"input[0]", userParts(M{"type": "input_file", "file_id": "file-conformance"})),
		acceptCase(S, sec, "responses/accept/include-empty", "Include", "include: [] → 200", M{"include": A{}}, nil),
		acceptCase(S, sec, "responses/accept/include-strings", "Include",
			`include: ["web_search_call.results"] (an array of strings not listed) → 200`,
			M{"include": A{"web_search_call.results"}}, nil),
		rejectCase(S, sec, "responses/reject/include-not-array", "Include", `include: "…" (not an array)`, "include",
			M{"include": "reasoning.encrypted_content"}),
	)
	for _, inc := range rejectedIncludes {
		cases = append(cases, rejectCase(S, sec, "responses/reject/include-"+inc.id, "Include",
			fmt.Sprintf("include: [%q]", inc.value), "include", M{"include": A{inc.value}}))
	}
	cases = append(cases,
		acceptCase(S, sec, "responses/accept/truncation-disabled", "Truncation", `truncation: "disabled" → 200`,
			M{"truncation": "disabled"}, nil),
		rejectCase(S, sec, "responses/reject/truncation-auto", "Truncation", `truncation: "auto"`, "truncation",
			M{"truncation": "auto"}),
		rejectCase(S, sec, "responses/reject/parallel-tool-calls", "Parallel tool calls", "parallel_tool_calls: true",
			"parallel_tool_calls", M{"parallel_tool_calls": true, "tools": A{responsesFunctionTool("get_weather")}}),
		acceptCase(S, sec, "responses/accept/parallel-tool-calls-false", "Parallel tool calls",
			"parallel_tool_calls: false (asks for nothing) → 200", M{"parallel_tool_calls": false}, nil),
		rejectCase(S, sec, "responses/reject/json-object", "json_object format", `text.format.type: "json_object"`,
			"text.format", M{"text": M{"format": M{"type": "json_object"}}}),
		Case{
			ID: "responses/reject/delete", Surface: S, Section: sec, Row: "Delete / cancel",
			Expect: "DELETE /v1/responses/{id} of a real response → 404/405/501 envelope; the response stays retrievable",
			Run:    deleteCase,
		},
		Case{
			ID: "responses/reject/cancel", Surface: S, Section: sec, Row: "Delete / cancel",
			Expect: "POST /v1/responses/{id}/cancel of a background response → 404/405/501 envelope",
			Run:    cancelCase,
		},
	)
	return cases
}

func deleteCase(ctx context.Context, c *Client) error {
	root, _, err := succeed(ctx, c, responsesPath, c.responsesBody(nil))
	if err != nil {
		return err
	}
	id := root.Get("id").Str
	r, err := c.do(ctx, "DELETE", responsesPath+"/"+id, nil)
	if err != nil {
		return err
	}
	if err := notImplemented(r); err != nil {
		return err
	}
	g, err := c.get(ctx, responsesPath+"/"+id)
	if err != nil {
		return err
	}
	if g.Status != 200 {
		return errorf("after the refused DELETE the response is gone: %s", g)
	}
	return nil
}

func cancelCase(ctx context.Context, c *Client) error {
	root, _, err := succeedWith(ctx, c, 202, responsesPath, c.responsesBody(M{"background": true}))
	if err != nil {
		return err
	}
	r, err := c.post(ctx, responsesPath+"/"+root.Get("id").Str+"/cancel", nil)
	if err != nil {
		return err
	}
	return notImplemented(r)
}
