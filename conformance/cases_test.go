package conformance

import (
	"slices"
	"strings"
	"testing"
)

func TestCasesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	last := -1
	for _, c := range All() {
		if seen[c.ID] {
			t.Errorf("duplicate case ID %s", c.ID)
		}
		seen[c.ID] = true
		if !strings.HasPrefix(c.ID, string(c.Surface)+"/") {
			t.Errorf("%s: ID does not start with its surface %q", c.ID, c.Surface)
		}
		if !slices.Contains(Surfaces, c.Surface) || c.Row == "" || c.Expect == "" || c.Run == nil {
			t.Errorf("%s: incomplete case %+v", c.ID, c)
		}
		r := sectionRank(c.Section)
		if r == len(Sections) {
			t.Errorf("%s: section %q is not a heading of the document", c.ID, c.Section)
		}
		if r < last {
			t.Errorf("%s: out of the document's order", c.ID)
		}
		last = r
	}
}

// matrixRows lists every row of every table of support-matrix.txt (and the batch facts), as the
// document words them; each must have at least one case, and the words after it must each
// appear in the expectation of some case of that row.
var matrixRows = []struct {
	sec   Section
	row   string
	words []string
}{
	{SecSurfaces, "Responses POST /v1/responses Stable", nil},
	{SecSurfaces, "Chat Completions POST /v1/chat/completions Alpha", nil},
	{SecSurfaces, "Messages POST /v1/messages Alpha", nil},
	{SecSurfaces, "Batch POST /v1/batches Alpha", nil},
	{SecSurfaces, "All APIs accept the same models and completion windows.", nil},

	{SecRespSupported, "Core parameters", []string{"input", "max_output_tokens", "temperature", "top_p", "user", "message array"}},
	{SecRespSupported, "Structured outputs", []string{`"text"`, `"json_schema"`}},
	{SecRespSupported, "Reasoning", []string{`effort "low"`, `effort "medium"`, `effort "high"`, `summary "auto"`, `summary "concise"`, `summary "detailed"`}},
	{SecRespSupported, "Function tools", []string{"name", "description", "parameters", "strict"}},
	{SecRespSupported, "Custom tools", []string{`"custom"`}},
	{SecRespSupported, "Tool choice", []string{`"none"`, `"auto"`, `"required"`, `"function"`, `"custom"`}},
	{SecRespSupported, "Background mode", []string{"202", "GET /v1/responses/{id}"}},
	{SecRespRejected, "Streaming", []string{"stream: true"}},
	{SecRespRejected, "Instructions", []string{"instructions"}},
	{SecRespRejected, "Conversation chaining", []string{"previous_response_id", "conversation"}},
	{SecRespRejected, "Prompt templates", []string{"prompt"}},
	{SecRespRejected, "Server-side tools", []string{"web_search", "file_search", "code_interpreter", "computer_use", "mcp", "image_generation", "shell", "apply_patch"}},
	{SecRespRejected, "Multimodal input", []string{"input_image", "input_audio", "input_file"}},
	{SecRespRejected, "Include", []string{"include: []", "reasoning.encrypted_content", "web_search_call.action.sources", "code_interpreter_call.outputs",
		"computer_call_output.output.image_url", "file_search_call.results", "message.input_image.image_url", "message.output_text.logprobs"}},
	{SecRespRejected, "Truncation", []string{`"disabled"`, `"auto"`}},
	{SecRespRejected, "Parallel tool calls", []string{"parallel_tool_calls"}},
	{SecRespRejected, "json_object format", []string{`"json_object"`}},
	{SecRespRejected, "Delete / cancel", []string{"DELETE /v1/responses/{id}", "/cancel"}},

	{SecChatSupported, "Core parameters", []string{"model", "messages", "max_completion_tokens", "temperature", "top_p", "user"}},
	{SecChatSupported, "Message roles", []string{"system", "user", "assistant", "tool", "function", "developer"}},
	{SecChatSupported, "Structured outputs", []string{`"text"`, `"json_object"`, `"json_schema"`}},
	{SecChatSupported, "Reasoning", []string{`"low"`, `"medium"`, `"high"`}},
	{SecChatSupported, "Function tools", []string{"name", "description", "parameters", "strict"}},
	{SecChatSupported, "Custom tools", []string{`"custom"`}},
	{SecChatSupported, "Tool choice", []string{`"none"`, `"auto"`, `"required"`, `"function"`, `"custom"`}},
	{SecChatSupported, "Parallel tool calls", []string{"true", "false"}},
	{SecChatSupported, "Metadata", []string{"string key-value", "completion_window", "completion_webhook"}},
	{SecChatRejected, "Streaming", []string{"stream: true"}},
	{SecChatRejected, "Multiple choices", []string{"n: 2", "n: 1"}},
	{SecChatRejected, "Multimodal content", []string{"image_url", "input_audio"}},
	{SecChatRejected, "Sampling controls", []string{"frequency_penalty", "presence_penalty", "logit_bias", "stop", "seed", "top_logprobs", "logprobs"}},
	{SecChatRejected, "Audio modality", []string{"audio {", `"audio"]`}},
	{SecChatRejected, "Predicted output", []string{"prediction"}},
	{SecChatRejected, "Web search", []string{"web_search_options"}},
	{SecChatRejected, "Service tier", []string{`"auto" → 200`, `"flex"`}},
	{SecChatRejected, "CRUD endpoints", []string{"GET", "POST", "DELETE"}},
	{SecChatRejected, "Deprecated fields", []string{"max_tokens", "functions", "function_call"}},
	{SecChatNotes, "Responses always contain exactly one choice (n=1).", nil},
	{SecChatNotes, `finish_reason is either "stop" or "tool_calls".`, []string{`"stop"`, `"tool_calls"`, `"length"`}},
	{SecChatNotes, "system_fingerprint and service_tier are not included in responses.", nil},
	{SecChatNotes, "logprobs is always null.", nil},

	{SecMsgSupported, "Core parameters", []string{"model", "max_tokens", "messages"}},
	{SecMsgSupported, "Sampling", []string{"temperature: 0 ", "temperature: 1 ", "top_p", "outside 0–1"}},
	{SecMsgSupported, "Structured outputs", []string{`output_config.format {type: "json_schema"`}},
	{SecMsgSupported, "Metadata", []string{"string key-value", "completion_window", "completion_webhook"}},
	{SecMsgRejected, "Streaming", []string{"stream: true"}},
	{SecMsgRejected, "System prompt", []string{"system"}},
	{SecMsgRejected, "Extended thinking", []string{"thinking"}},
	{SecMsgRejected, "Tools", []string{"tools", "tool_choice"}},
	{SecMsgRejected, "Stop sequences", []string{"stop_sequences"}},
	{SecMsgRejected, "Top-K sampling", []string{"top_k"}},
	{SecMsgRejected, "Multimodal content", []string{"image", "document", "tool_result"}},
	{SecMsgRejected, "Service tier", []string{"service_tier"}},
	{SecMsgRejected, "Inference geo", []string{"inference_geo"}},
	{SecMsgRejected, "Count tokens", []string{"POST /v1/messages/count_tokens"}},
	{SecMsgRejected, "Batches", []string{"POST /v1/messages/batches"}},
	{SecMsgNotes, `stop_reason is always "end_turn".`, []string{`"max_tokens"`}},
	{SecMsgNotes, "Response content always contains a single text block.", nil},
	{SecMsgNotes, "Cache-related usage fields (cache_creation_input_tokens, cache_read_input_tokens) are not included.", nil},
	{SecMsgCompat, "Sail uses Authorization: Bearer <key>. The Anthropic x-api-key header is not supported.", []string{"Bearer", "x-api-key"}},
	{SecMsgCompat, "The anthropic-version header is not required or checked.", nil},
	{SecMsgCompat, "Error responses use the OpenAI-style error envelope format.", nil},

	{SecCross, rowTextOnly, nil},
	{SecCross, rowNoStream, nil},
	{SecCross, rowWindows, []string{`"asap"`, `"15m"`, `"24h"`}},
	{SecCross, rowWebhooks, nil},
	{SecCross, rowStored, []string{"store: false", "store: true"}},

	{SecBatch, "POST /v1/batches {endpoint, label, requests[{custom_id, params}]}", []string{"label", "endpoint", "requests: []"}},
	{SecBatch, "GET /v1/batches/{batch_id}", []string{"request_status"}},
	{SecBatch, "GET /v1/batches/{batch_id}/{custom_id}", []string{"response object"}},
	{SecBatch, "GET /v1/batches (newest first; after_id, before_id, limit 1–200)", []string{"after_id", "before_id", "limit=0", "limit=201"}},
	{SecBatch, "Batch items: completion_window 15m (default) or 24h; asap is rejected", []string{`"asap"`, `"24h"`}},
}

func TestEveryMatrixRowHasCases(t *testing.T) {
	all := All()
	for _, m := range matrixRows {
		var expects []string
		for _, c := range all {
			if c.Section == m.sec && c.Row == m.row {
				expects = append(expects, c.Expect)
			}
		}
		if len(expects) == 0 {
			t.Errorf("%s / %q has no case", m.sec, m.row)
			continue
		}
		text := strings.Join(expects, "\n")
		for _, w := range m.words {
			if !strings.Contains(text, w) {
				t.Errorf("%s / %q: no case mentions %q", m.sec, m.row, w)
			}
		}
	}
	// The cross-API lines hold on all three surfaces.
	for _, row := range []string{rowTextOnly, rowNoStream, rowWindows, rowWebhooks, rowStored} {
		for _, s := range crossSurfaces {
			if !slices.ContainsFunc(all, func(c Case) bool { return c.Row == row && c.Surface == s }) {
				t.Errorf("%q has no case on %s", row, s)
			}
		}
	}
}
