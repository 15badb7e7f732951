package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aopt "github.com/anthropics/anthropic-sdk-go/v2/option"
)

func newAnthropic(t *testing.T, serve *proc, opts ...aopt.RequestOption) anthropic.Client {
	for _, v := range []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_PROFILE"} {
		t.Setenv(v, "")
	}
	return anthropic.NewClient(append([]aopt.RequestOption{
		aopt.WithBaseURL(serve.URL), aopt.WithAuthToken(testKey), aopt.WithMaxRetries(0),
	}, opts...)...)
}

func userMessage(text string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model: "sim-1", MaxTokens: 64,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))},
	}
}

// anthropicError returns the status and the OpenAI-style envelope of a failed SDK call.
func anthropicError(t *testing.T, err error) (int, envelope) {
	t.Helper()
	var ae *anthropic.Error
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	return ae.StatusCode, decodeEnvelope(t, []byte(ae.RawJSON()))
}

func TestMessages(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()

	t.Run("plain message", func(t *testing.T) {
		c := newAnthropic(t, s.serve)
		p := userMessage("Hello there")
		p.Messages = append(p.Messages, anthropic.NewAssistantMessage(anthropic.NewTextBlock("Hi!")), anthropic.NewUserMessage(anthropic.NewTextBlock("How are you?")))
		// This SDK version has no sampling fields; the wire format still has them.
		m, err := c.Messages.New(ctx, p, aopt.WithJSONSet("temperature", 0.5), aopt.WithJSONSet("top_p", 0.9))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(m.ID, "msg_") || m.Role != "assistant" || m.Type != "message" || m.Model != "sim-1" {
			t.Fatalf("message %s", m.RawJSON())
		}
		if len(m.Content) != 1 || m.Content[0].Type != "text" || m.Content[0].Text == "" {
			t.Fatalf("want exactly one text block: %s", m.RawJSON())
		}
		if m.StopReason != "end_turn" || m.Usage.InputTokens == 0 || m.Usage.OutputTokens == 0 {
			t.Fatalf("stop %q usage %+v", m.StopReason, m.Usage)
		}
		if m.Usage.JSON.CacheCreationInputTokens.Valid() || m.Usage.JSON.CacheReadInputTokens.Valid() {
			t.Fatalf("cache usage fields must be absent: %s", m.RawJSON())
		}
	})

	t.Run("max_tokens cut is still end_turn", func(t *testing.T) {
		p := userMessage("long [sim:tokens=40]")
		p.MaxTokens = 4
		c := newAnthropic(t, s.serve)
		m, err := c.Messages.New(ctx, p)
		if err != nil || m.StopReason != "end_turn" {
			t.Fatalf("%v %v", err, m)
		}
	})

	t.Run("json_schema output", func(t *testing.T) {
		p := userMessage("A city")
		p.OutputConfig = anthropic.OutputConfigParam{Format: anthropic.JSONOutputFormatParam{Schema: map[string]any{
			"type": "object", "additionalProperties": false, "required": []string{"name"},
			"properties": map[string]any{"name": map[string]any{"type": "string"}},
		}}}
		c := newAnthropic(t, s.serve)
		m, err := c.Messages.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		var city struct{ Name *string }
		if err := json.Unmarshal([]byte(m.Content[0].Text), &city); err != nil || city.Name == nil {
			t.Fatalf("text is not the schema's JSON: %q", m.Content[0].Text)
		}
	})

	t.Run("x-api-key refused", func(t *testing.T) {
		// What Anthropic clients that use api_key send (this SDK version sends a bearer token
		// for WithAPIKey, so the header is sent directly).
		r := do(t, "POST", s.serve.URL+"/v1/messages", `{"model":"sim-1","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`,
			"Authorization", "", "X-Api-Key", testKey, "Anthropic-Version", "2023-06-01")
		e := decodeEnvelope(t, r.Body)
		if r.Status != 401 || !strings.Contains(e.Error.Message, "x-api-key") {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})

	t.Run("anthropic-version is not required", func(t *testing.T) {
		r := do(t, "POST", s.serve.URL+"/v1/messages", `{"model":"sim-1","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})

	t.Run("count_tokens and batches are not implemented", func(t *testing.T) {
		for _, p := range []string{"/v1/messages/count_tokens", "/v1/messages/batches"} {
			r := do(t, "POST", s.serve.URL+p, `{}`)
			if e := decodeEnvelope(t, r.Body); r.Status != 404 || !strings.Contains(e.Error.Message, "not implemented") {
				t.Fatalf("%s: %d %s", p, r.Status, r.Body)
			}
		}
	})
}

func TestMessagesRejectedRows(t *testing.T) {
	s := newStack(t)
	rows := []struct {
		name, field string
		value       any
		param       string
	}{
		{"stream", "stream", true, "stream"},
		{"system", "system", "You are terse.", "system"},
		{"thinking", "thinking", map[string]any{"type": "enabled", "budget_tokens": 1024}, "thinking"},
		{"tools", "tools", []map[string]any{{"name": "f", "input_schema": map[string]any{"type": "object"}}}, "tools"},
		{"tool_choice", "tool_choice", map[string]any{"type": "any"}, "tool_choice"},
		{"stop_sequences", "stop_sequences", []string{"END"}, "stop_sequences"},
		{"top_k", "top_k", 5, "top_k"},
		{"image block", "messages", []map[string]any{{"role": "user", "content": []map[string]any{{"type": "image", "source": map[string]any{"type": "url", "url": "https://example.com/a.png"}}}}}, "messages[0].content[0]"},
		{"document block", "messages", []map[string]any{{"role": "user", "content": []map[string]any{{"type": "document", "source": map[string]any{"type": "text", "media_type": "text/plain", "data": "x"}}}}}, "messages[0].content[0]"},
		{"tool_result block", "messages", []map[string]any{{"role": "user", "content": []map[string]any{{"type": "tool_result", "tool_use_id": "t1", "content": "x"}}}}, "messages[0].content[0]"},
		{"service_tier", "service_tier", "auto", "service_tier"},
		{"inference_geo", "inference_geo", "us", "inference_geo"},
		{"temperature above 1", "temperature", 1.5, "temperature"},
		{"top_p above 1", "top_p", 1.2, "top_p"},
		{"bad completion_window", "metadata", map[string]string{"completion_window": "now"}, "metadata.completion_window"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			c := newAnthropic(t, s.serve)
			_, err := c.Messages.New(context.Background(), userMessage("hi"), aopt.WithJSONSet(r.field, r.value))
			status, e := anthropicError(t, err)
			if status != 400 || e.Error.Type != "invalid_request_error" || e.Error.Param == nil || !strings.HasPrefix(*e.Error.Param, r.param) {
				t.Fatalf("got %d %+v, want 400 param %q", status, e.Error, r.param)
			}
		})
	}
	t.Run("missing max_tokens", func(t *testing.T) {
		r := do(t, "POST", s.serve.URL+"/v1/messages", `{"model":"sim-1","messages":[{"role":"user","content":"hi"}]}`)
		e := decodeEnvelope(t, r.Body)
		if r.Status != 400 || e.Error.Param == nil || *e.Error.Param != "max_tokens" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})
}
