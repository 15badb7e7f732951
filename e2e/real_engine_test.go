package e2e

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

// TestRealEngine runs the SDK paths against a real engine instead of the simulator. Opt in:
//
//	../shared/tools/real-engine/real-engine.sh start     # llama.cpp llama-server, tiny random model
//	SAILSHIM_REAL_ENGINE='http://127.0.0.1:18950;concurrency=4' \
//	SAILSHIM_REAL_MODEL=acme/tiny-1 go test ./e2e -run RealEngine -v
//
// The model has random weights, so only shapes are checked, never content.
func TestRealEngine(t *testing.T) {
	upstream, model := os.Getenv("SAILSHIM_REAL_ENGINE"), os.Getenv("SAILSHIM_REAL_MODEL")
	if upstream == "" || model == "" {
		t.Skip("set SAILSHIM_REAL_ENGINE and SAILSHIM_REAL_MODEL to run against a real engine")
	}
	serve := startServe(t, []string{upstream})
	client := newClient(serve)
	ctx := context.Background()

	t.Run("chat", func(t *testing.T) {
		p := userChat("Hello")
		p.Model = model
		p.MaxCompletionTokens = openai.Int(16)
		c, err := client.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Choices) != 1 || (c.Choices[0].FinishReason != "stop" && c.Choices[0].FinishReason != "tool_calls") {
			t.Fatalf("%s", c.RawJSON())
		}
		if c.JSON.SystemFingerprint.Valid() {
			t.Fatalf("system_fingerprint leaked: %s", c.RawJSON())
		}
	})

	t.Run("chat json_schema", func(t *testing.T) {
		p := userChat("A number")
		p.Model = model
		p.MaxCompletionTokens = openai.Int(64)
		p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "n", Schema: map[string]any{
				"type": "object", "properties": map[string]any{"n": map[string]any{"type": "integer"}}, "required": []string{"n"},
			}},
		}}
		c, err := client.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("content: %s", c.Choices[0].Message.Content)
	})

	t.Run("chat tool required", func(t *testing.T) {
		p := userChat("Weather in Paris")
		p.Model = model
		p.MaxCompletionTokens = openai.Int(64)
		p.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "get_weather", Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
		})}
		p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}
		c, err := client.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if c.Choices[0].Message.JSON.Content.Valid() && c.Choices[0].Message.Content == "" && len(c.Choices[0].Message.ToolCalls) > 0 {
			// content "" beside tool calls must have been normalised to null
			var raw map[string]any
			json.Unmarshal([]byte(c.Choices[0].Message.RawJSON()), &raw)
			if v, ok := raw["content"]; ok && v != nil {
				t.Fatalf("content not normalised: %s", c.RawJSON())
			}
		}
		t.Logf("%s", c.RawJSON())
	})

	t.Run("responses", func(t *testing.T) {
		r, err := client.Responses.New(ctx, responses.ResponseNewParams{Model: model, Input: textInput("Hi"), MaxOutputTokens: openai.Int(16)})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "completed" && r.Status != "incomplete" {
			t.Fatalf("%s", r.RawJSON())
		}
	})

	t.Run("messages", func(t *testing.T) {
		p := userMessage("Hi")
		p.Model = model
		c := newAnthropic(t, serve)
		m, err := c.Messages.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if m.StopReason != "end_turn" || len(m.Content) != 1 {
			t.Fatalf("%s", m.RawJSON())
		}
	})
}
