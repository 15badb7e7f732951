package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// stack is one simulator behind one proxy, shared by the tests of a file.
type stack struct {
	sim, serve *proc
	client     openai.Client
}

func newStack(t *testing.T, serveArgs ...string) *stack {
	t.Helper()
	sim := startSim(t)
	serve := startServe(t, []string{sim.URL}, serveArgs...)
	return &stack{sim: sim, serve: serve, client: newClient(serve)}
}

func newClient(serve *proc, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(serve.URL + "/v1/"), option.WithAPIKey(testKey), option.WithMaxRetries(0),
	}, opts...)...)
}

func userChat(text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "sim-1",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
	}
}

// apiError unwraps the SDK's error for status, type and param checks.
func apiError(t *testing.T, err error) *openai.Error {
	t.Helper()
	var ae *openai.Error
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	return ae
}

func TestChat(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()

	t.Run("plain", func(t *testing.T) {
		params := userChat("Say hello.")
		params.Messages = append([]openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief.")}, params.Messages...)
		params.MaxCompletionTokens = openai.Int(64)
		params.Temperature = openai.Float(0.2)
		c, err := s.client.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Choices) != 1 || c.Choices[0].Message.Content == "" {
			t.Fatalf("want one choice with text, got %+v", c.Choices)
		}
		if fr := c.Choices[0].FinishReason; fr != "stop" {
			t.Fatalf("finish_reason %q", fr)
		}
		if !strings.HasPrefix(c.ID, "chatcmpl-") || c.Model != "sim-1" || c.Object != "chat.completion" {
			t.Fatalf("id %q model %q object %q", c.ID, c.Model, c.Object)
		}
		if c.SystemFingerprint != "" || c.JSON.SystemFingerprint.Valid() || c.JSON.ServiceTier.Valid() {
			t.Fatalf("system_fingerprint/service_tier must be absent: %s", c.RawJSON())
		}
		if c.Usage.TotalTokens == 0 || c.Usage.TotalTokens != c.Usage.PromptTokens+c.Usage.CompletionTokens {
			t.Fatalf("usage %+v", c.Usage)
		}
	})

	t.Run("length stop is reported as stop", func(t *testing.T) {
		params := userChat("Write a long story. [sim:tokens=50]")
		params.MaxCompletionTokens = openai.Int(3)
		c, err := s.client.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if c.Choices[0].FinishReason != "stop" || c.Usage.CompletionTokens != 3 {
			t.Fatalf("finish %q usage %+v", c.Choices[0].FinishReason, c.Usage)
		}
	})

	t.Run("json_schema", func(t *testing.T) {
		params := userChat("Give me a city.")
		params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
				Name:   "city",
				Strict: openai.Bool(true),
				Schema: map[string]any{
					"type": "object", "additionalProperties": false, "required": []string{"name", "population"},
					"properties": map[string]any{"name": map[string]any{"type": "string"}, "population": map[string]any{"type": "integer"}},
				},
			}},
		}
		c, err := s.client.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		var city struct {
			Name       *string `json:"name"`
			Population *int    `json:"population"`
		}
		if err := json.Unmarshal([]byte(c.Choices[0].Message.Content), &city); err != nil || city.Name == nil || city.Population == nil {
			t.Fatalf("content does not satisfy the schema: %q (%v)", c.Choices[0].Message.Content, err)
		}
	})

	t.Run("tools with tool_choice required", func(t *testing.T) {
		params := userChat("What is the weather in Paris?")
		params.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "get_weather", Description: openai.String("Weather for a city"),
			Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
		})}
		params.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}
		c, err := s.client.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		ch := c.Choices[0]
		if ch.FinishReason != "tool_calls" || len(ch.Message.ToolCalls) == 0 {
			t.Fatalf("want tool calls, got %s", c.RawJSON())
		}
		call := ch.Message.ToolCalls[0]
		var args struct{ City *string }
		if call.Function.Name != "get_weather" || json.Unmarshal([]byte(call.Function.Arguments), &args) != nil || args.City == nil {
			t.Fatalf("bad call %+v", call)
		}
		// Round trip: the tool's output goes back and the model answers with text.
		params.Messages = append(params.Messages, ch.Message.ToParam(), openai.ToolMessage(`{"temp_c":18}`, call.ID))
		params.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("auto")}
		c2, err := s.client.Chat.Completions.New(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		if c2.Choices[0].FinishReason != "stop" || c2.Choices[0].Message.Content == "" {
			t.Fatalf("want a text answer after the tool output: %s", c2.RawJSON())
		}
	})

	t.Run("unknown model", func(t *testing.T) {
		params := userChat("hi")
		params.Model = "no-such-model"
		_, err := s.client.Chat.Completions.New(ctx, params)
		ae := apiError(t, err)
		if ae.StatusCode != 404 || ae.Code != "model_not_found" || ae.Param != "model" {
			t.Fatalf("got %d %s %s", ae.StatusCode, ae.Code, ae.Param)
		}
	})

	t.Run("models list", func(t *testing.T) {
		page, err := s.client.Models.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Data) != 1 || page.Data[0].ID != "sim-1" || page.Data[0].Object != "model" {
			t.Fatalf("models %+v", page.Data)
		}
	})
}

// TestChatRejectedRows sends each "Not yet supported" row of the chat matrix through the SDK.
func TestChatRejectedRows(t *testing.T) {
	s := newStack(t)
	rows := []struct {
		name, field string
		value       any
		param       string
	}{
		{"stream", "stream", true, "stream"},
		{"n not 1", "n", 2, "n"},
		{"frequency_penalty", "frequency_penalty", 0.5, "frequency_penalty"},
		{"presence_penalty", "presence_penalty", 0.5, "presence_penalty"},
		{"logit_bias", "logit_bias", map[string]int{"42": 10}, "logit_bias"},
		{"stop", "stop", []string{"END"}, "stop"},
		{"seed", "seed", 7, "seed"},
		{"top_logprobs", "top_logprobs", 3, "top_logprobs"},
		{"logprobs", "logprobs", true, "logprobs"},
		{"audio", "audio", map[string]string{"voice": "alloy", "format": "mp3"}, "audio"},
		{"modalities audio", "modalities", []string{"text", "audio"}, "modalities"},
		{"prediction", "prediction", map[string]string{"type": "content", "content": "x"}, "prediction"},
		{"web_search_options", "web_search_options", map[string]any{}, "web_search_options"},
		{"service_tier flex", "service_tier", "flex", "service_tier"},
		{"max_tokens deprecated", "max_tokens", 10, "max_tokens"},
		{"functions deprecated", "functions", []map[string]any{{"name": "f", "parameters": map[string]any{"type": "object"}}}, "functions"},
		{"function_call deprecated", "function_call", "auto", "function_call"},
		{"image_url part", "messages", []map[string]any{{"role": "user", "content": []map[string]any{{"type": "image_url", "image_url": map[string]string{"url": "https://example.com/a.png"}}}}}, "messages[0].content[0]"},
		{"input_audio part", "messages", []map[string]any{{"role": "user", "content": []map[string]any{{"type": "input_audio", "input_audio": map[string]string{"data": "AAAA", "format": "wav"}}}}}, "messages[0].content[0]"},
		{"bad completion_window", "metadata", map[string]string{"completion_window": "1h"}, "metadata.completion_window"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			_, err := s.client.Chat.Completions.New(context.Background(), userChat("hi"), option.WithJSONSet(r.field, r.value))
			ae := apiError(t, err)
			if ae.StatusCode != 400 || ae.Type != "invalid_request_error" || !strings.HasPrefix(ae.Param, r.param) || ae.Message == "" {
				t.Fatalf("got %d type=%q param=%q msg=%q, want 400 invalid_request_error param %q", ae.StatusCode, ae.Type, ae.Param, ae.Message, r.param)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	s := newStack(t)
	body := `{"model":"sim-1","messages":[{"role":"user","content":"hi"}]}`
	cases := []struct {
		name    string
		headers []string
	}{
		{"missing key", []string{"Authorization", ""}},
		{"unknown key", []string{"Authorization", "Bearer sk-wrong"}},
		{"x-api-key alone", []string{"Authorization", "", "X-Api-Key", testKey}},
		{"basic scheme", []string{"Authorization", "Basic " + testKey}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, "POST", s.serve.URL+"/v1/chat/completions", body, c.headers...)
			e := decodeEnvelope(t, r.Body)
			if r.Status != http.StatusUnauthorized || e.Error.Type == "" {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			if strings.Contains(s.serve.Logs(), testKey) {
				t.Fatal("the API key appears in the logs")
			}
		})
	}
	t.Run("sdk with wrong key", func(t *testing.T) {
		c := newClient(s.serve, option.WithAPIKey("sk-nope"))
		_, err := c.Chat.Completions.New(context.Background(), userChat("hi"))
		if ae := apiError(t, err); ae.StatusCode != 401 {
			t.Fatalf("status %d", ae.StatusCode)
		}
	})
}

func TestMalformedAndOversized(t *testing.T) {
	s := newStack(t, "--max-body-bytes", "4096")
	cases := []struct {
		name   string
		body   string
		status int
		param  string
	}{
		{"malformed JSON", `{"model":"sim-1",`, 400, ""},
		{"not an object", `[1,2]`, 400, ""},
		{"missing model", `{"messages":[{"role":"user","content":"hi"}]}`, 400, "model"},
		{"missing messages", `{"model":"sim-1"}`, 400, "messages"},
		{"wrong type", `{"model":"sim-1","messages":"hi"}`, 400, "messages"},
		{"too large", `{"model":"sim-1","messages":[{"role":"user","content":"` + strings.Repeat("a", 5000) + `"}]}`, 413, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := do(t, "POST", s.serve.URL+"/v1/chat/completions", c.body)
			e := decodeEnvelope(t, r.Body)
			if r.Status != c.status {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if c.param != "" && (e.Error.Param == nil || *e.Error.Param != c.param) {
				t.Fatalf("param %v, want %q", e.Error.Param, c.param)
			}
		})
	}
}
