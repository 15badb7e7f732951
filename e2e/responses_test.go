package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

func textInput(s string) responses.ResponseNewParamsInputUnion {
	return responses.ResponseNewParamsInputUnion{OfString: openai.String(s)}
}

func itemsInput(items ...responses.ResponseInputItemUnionParam) responses.ResponseNewParamsInputUnion {
	return responses.ResponseNewParamsInputUnion{OfInputItemList: items}
}

func userItem(s string) responses.ResponseInputItemUnionParam {
	return responses.ResponseInputItemParamOfMessage(s, responses.EasyInputMessageRoleUser)
}

var weatherTool = responses.ToolParamOfFunction("get_weather", map[string]any{
	"type": "object", "additionalProperties": false, "required": []string{"city"},
	"properties": map[string]any{"city": map[string]any{"type": "string"}},
}, true)

func TestResponses(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()

	t.Run("string input", func(t *testing.T) {
		r, err := s.client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "sim-1", Input: textInput("Say hello."), MaxOutputTokens: openai.Int(64),
			Temperature: openai.Float(0.3), TopP: openai.Float(0.9), User: openai.String("u-1"),
			Metadata: shared.Metadata{"team": "a"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(r.ID, "resp_") || r.Object != "response" || r.Status != "completed" || r.Model != "sim-1" {
			t.Fatalf("id %q object %q status %q model %q", r.ID, r.Object, r.Status, r.Model)
		}
		if r.OutputText() == "" {
			t.Fatalf("no output text: %s", r.RawJSON())
		}
		if r.Temperature != 0.3 || r.TopP != 0.9 || r.MaxOutputTokens != 64 || r.Metadata["team"] != "a" || !strings.Contains(r.RawJSON(), `"store":true`) {
			t.Fatalf("settings not echoed: %s", r.RawJSON())
		}
		if r.Usage.TotalTokens != r.Usage.InputTokens+r.Usage.OutputTokens || r.Usage.OutputTokens == 0 {
			t.Fatalf("usage %+v", r.Usage)
		}
		got, err := s.client.Responses.Get(ctx, r.ID, responses.ResponseGetParams{})
		if err != nil || got.OutputText() != r.OutputText() || got.Status != "completed" {
			t.Fatalf("stored copy differs: %v %s", err, got.RawJSON())
		}
	})

	t.Run("message items and system role", func(t *testing.T) {
		r, err := s.client.Responses.New(ctx, responses.ResponseNewParams{Model: "sim-1", Input: itemsInput(
			responses.ResponseInputItemParamOfMessage("Be terse.", responses.EasyInputMessageRoleSystem),
			userItem("Hi"),
			responses.ResponseInputItemParamOfMessage("Hello!", responses.EasyInputMessageRoleAssistant),
			userItem("How are you?"),
		)})
		if err != nil || r.OutputText() == "" {
			t.Fatalf("%v %v", err, r)
		}
	})

	t.Run("max_output_tokens cut is incomplete", func(t *testing.T) {
		r, err := s.client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "sim-1", Input: textInput("Tell a long story [sim:tokens=40]"), MaxOutputTokens: openai.Int(5),
		})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "incomplete" || r.IncompleteDetails.Reason != "max_output_tokens" {
			t.Fatalf("status %q details %+v", r.Status, r.IncompleteDetails)
		}
	})

	t.Run("structured output", func(t *testing.T) {
		r, err := s.client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "sim-1", Input: textInput("A city please"),
			Text: responses.ResponseTextConfigParam{Format: responses.ResponseFormatTextConfigParamOfJSONSchema("city", map[string]any{
				"type": "object", "additionalProperties": false, "required": []string{"name", "lat"},
				"properties": map[string]any{"name": map[string]any{"type": "string"}, "lat": map[string]any{"type": "number"}},
			})},
		})
		if err != nil {
			t.Fatal(err)
		}
		var city struct {
			Name *string  `json:"name"`
			Lat  *float64 `json:"lat"`
		}
		if err := json.Unmarshal([]byte(r.OutputText()), &city); err != nil || city.Name == nil || city.Lat == nil {
			t.Fatalf("output does not parse into the schema: %q %v", r.OutputText(), err)
		}
		if r.Text.Format.Type != "json_schema" {
			t.Fatalf("text.format not echoed: %s", r.RawJSON())
		}
	})

	t.Run("reasoning with summary", func(t *testing.T) {
		r, err := s.client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "sim-1", Input: textInput("Think first"),
			Reasoning: shared.ReasoningParam{Effort: shared.ReasoningEffortHigh, Summary: shared.ReasoningSummaryDetailed},
		})
		if err != nil {
			t.Fatal(err)
		}
		var sawReasoning bool
		for _, it := range r.Output {
			if it.Type == "reasoning" {
				sawReasoning = len(it.AsReasoning().Summary) > 0
			}
		}
		if !sawReasoning || r.OutputText() == "" || r.Reasoning.Effort != "high" {
			t.Fatalf("want a reasoning item with a summary and text: %s", r.RawJSON())
		}
	})

	t.Run("function call round trip", func(t *testing.T) {
		params := responses.ResponseNewParams{
			Model: "sim-1", Input: itemsInput(userItem("Weather in Oslo?")),
			Tools:      []responses.ToolUnionParam{weatherTool},
			ToolChoice: responses.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: openai.Opt(responses.ToolChoiceOptionsRequired)},
		}
		r, err := s.client.Responses.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		var call responses.ResponseFunctionToolCall
		for _, it := range r.Output {
			if it.Type == "function_call" {
				call = it.AsFunctionCall()
			}
		}
		if call.CallID == "" || call.Name != "get_weather" || !strings.HasPrefix(call.ID, "fc_") || !json.Valid([]byte(call.Arguments)) {
			t.Fatalf("want a function_call: %s", r.RawJSON())
		}
		out := responses.ResponseInputItemParamOfFunctionCallOutput(`{"temp_c": 3}`)
		out.OfFunctionCallOutput.CallID = openai.String(call.CallID)
		params.Input = itemsInput(userItem("Weather in Oslo?"),
			responses.ResponseInputItemParamOfFunctionCall(call.Arguments, call.CallID, call.Name), out)
		params.ToolChoice = responses.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: openai.Opt(responses.ToolChoiceOptionsAuto)}
		r2, err := s.client.Responses.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if r2.OutputText() == "" {
			t.Fatalf("want a text answer after the tool output: %s", r2.RawJSON())
		}
	})

	t.Run("custom tool round trip", func(t *testing.T) {
		params := responses.ResponseNewParams{
			Model: "sim-1", Input: itemsInput(userItem("Count the users")),
			Tools:      []responses.ToolUnionParam{responses.ToolParamOfCustom("run_sql")},
			ToolChoice: responses.ResponseNewParamsToolChoiceUnion{OfCustomTool: &responses.ToolChoiceCustomParam{Name: "run_sql"}},
		}
		r, err := s.client.Responses.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		var call responses.ResponseCustomToolCall
		for _, it := range r.Output {
			if it.Type == "custom_tool_call" {
				call = it.AsCustomToolCall()
			}
		}
		if call.CallID == "" || call.Name != "run_sql" {
			t.Fatalf("want a custom_tool_call: %s", r.RawJSON())
		}
		params.Input = itemsInput(userItem("Count the users"),
			responses.ResponseInputItemParamOfCustomToolCall(call.CallID, call.Input, call.Name),
			responses.ResponseInputItemParamOfCustomToolCallOutput(call.CallID, "42"))
		params.ToolChoice = responses.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: openai.Opt(responses.ToolChoiceOptionsAuto)}
		r2, err := s.client.Responses.New(ctx, params)
		if err != nil || r2.OutputText() == "" {
			t.Fatalf("%v %s", err, r2.RawJSON())
		}
	})

	t.Run("background create and poll", func(t *testing.T) {
		r, err := s.client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "sim-1", Input: textInput("Background please"), Background: openai.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "queued" && r.Status != "in_progress" || !r.Background {
			t.Fatalf("want queued, got %s", r.RawJSON())
		}
		final := pollResponse(t, s.client, r.ID)
		if final.Status != "completed" || final.OutputText() == "" {
			t.Fatalf("final %s", final.RawJSON())
		}
	})

	t.Run("another key gets 404", func(t *testing.T) {
		r, err := s.client.Responses.New(ctx, responses.ResponseNewParams{Model: "sim-1", Input: textInput("mine")})
		if err != nil {
			t.Fatal(err)
		}
		res := do(t, "GET", s.serve.URL+"/v1/responses/"+r.ID, "", "Authorization", "Bearer sk-other-key")
		if res.Status != 404 {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		if own := do(t, "GET", s.serve.URL+"/v1/responses/"+r.ID, ""); own.Status != 200 {
			t.Fatalf("owner's GET: %d", own.Status)
		}
	})

	t.Run("delete and cancel are not implemented", func(t *testing.T) {
		for _, c := range []struct{ method, path string }{{"DELETE", "/v1/responses/resp_x"}, {"POST", "/v1/responses/resp_x/cancel"}} {
			res := do(t, c.method, s.serve.URL+c.path, "")
			e := decodeEnvelope(t, res.Body)
			if res.Status != 404 || !strings.Contains(e.Error.Message, "not implemented") {
				t.Fatalf("%s %s: %d %s", c.method, c.path, res.Status, res.Body)
			}
		}
	})
}

// pollResponse polls like the SDK examples do until the response leaves queued/in_progress.
func pollResponse(t *testing.T, c openai.Client, id string) *responses.Response {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r, err := c.Responses.Get(context.Background(), id, responses.ResponseGetParams{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "queued" && r.Status != "in_progress" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("response %s still %s after 60s", id, r.Status)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a client, not synchronisation
	}
}

// TestResponsesRejectedRows sends each "Not yet supported" row through the SDK.
func TestResponsesRejectedRows(t *testing.T) {
	s := newStack(t)
	rows := []struct {
		name, field string
		value       any
		param       string
	}{
		{"stream", "stream", true, "stream"},
		{"instructions", "instructions", "Be nice.", "instructions"},
		{"previous_response_id", "previous_response_id", "resp_abc", "previous_response_id"},
		{"conversation", "conversation", "conv_abc", "conversation"},
		{"prompt", "prompt", map[string]any{"id": "pmpt_1"}, "prompt"},
		{"web_search tool", "tools", []map[string]any{{"type": "web_search"}}, "tools[0]"},
		{"file_search tool", "tools", []map[string]any{{"type": "file_search", "vector_store_ids": []string{"vs_1"}}}, "tools[0]"},
		{"code_interpreter tool", "tools", []map[string]any{{"type": "code_interpreter", "container": "auto"}}, "tools[0]"},
		{"computer_use tool", "tools", []map[string]any{{"type": "computer_use_preview", "display_width": 1, "display_height": 1, "environment": "linux"}}, "tools[0]"},
		{"mcp tool", "tools", []map[string]any{{"type": "mcp", "server_label": "x"}}, "tools[0]"},
		{"image_generation tool", "tools", []map[string]any{{"type": "image_generation"}}, "tools[0]"},
		{"shell tool", "tools", []map[string]any{{"type": "shell"}}, "tools[0]"},
		{"apply_patch tool", "tools", []map[string]any{{"type": "apply_patch"}}, "tools[0]"},
		{"input_image part", "input", []map[string]any{{"role": "user", "content": []map[string]any{{"type": "input_image", "image_url": "https://example.com/a.png"}}}}, "input[0].content[0]"},
		{"input_file part", "input", []map[string]any{{"role": "user", "content": []map[string]any{{"type": "input_file", "file_id": "file_1"}}}}, "input[0].content[0]"},
		{"include encrypted reasoning", "include", []string{"reasoning.encrypted_content"}, "include[0]"},
		{"include logprobs", "include", []string{"message.output_text.logprobs"}, "include[0]"},
		{"include not an array", "include", "reasoning.encrypted_content", "include"},
		{"truncation auto", "truncation", "auto", "truncation"},
		{"parallel_tool_calls", "parallel_tool_calls", true, "parallel_tool_calls"},
		{"json_object format", "text", map[string]any{"format": map[string]any{"type": "json_object"}}, "text.format"},
		{"store false", "store", false, "store"},
		{"bad completion_window", "metadata", map[string]string{"completion_window": "2h"}, "metadata.completion_window"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			_, err := s.client.Responses.New(context.Background(),
				responses.ResponseNewParams{Model: "sim-1", Input: textInput("hi")}, option.WithJSONSet(r.field, r.value))
			ae := apiError(t, err)
			if ae.StatusCode != 400 || ae.Type != "invalid_request_error" || !strings.HasPrefix(ae.Param, r.param) {
				t.Fatalf("got %d type=%q param=%q msg=%q, want 400 param %q", ae.StatusCode, ae.Type, ae.Param, ae.Message, r.param)
			}
		})
	}
	t.Run("include of other strings is accepted", func(t *testing.T) {
		_, err := s.client.Responses.New(context.Background(), responses.ResponseNewParams{
			Model: "sim-1", Input: textInput("hi"), Include: []responses.ResponseIncludable{"web_search_call.results"},
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
