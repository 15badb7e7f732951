package conformance

import (
	"context"
	"fmt"

	"github.com/tidwall/gjson"
)

func msgUser(text string) M { return M{"messages": A{M{"role": "user", "content": text}}} }

// wantSingleText checks the Messages reply note: exactly one content block, of type text.
func wantSingleText(r gjson.Result) error {
	_, err := replyText(Messages, r)
	return err
}

func wantEndTurn(r gjson.Result) error {
	if sr := r.Get("stop_reason").Str; sr != "end_turn" {
		return errorf(`stop_reason %q, want "end_turn"`, sr)
	}
	return nil
}

func messagesSupportedCases() []Case {
	S, sec := Messages, SecMsgSupported
	cases := []Case{
		acceptCase(S, sec, "messages/core/basic", "Core parameters", "model, max_tokens, messages → 200 message with one text block",
			M{"max_tokens": 256}, wantSingleText),
		acceptCase(S, sec, "messages/core/turns", "Core parameters", "user/assistant/user turns with text blocks → 200",
			M{"messages": A{
				M{"role": "user", "content": A{M{"type": "text", "text": "Hi!"}}},
				M{"role": "assistant", "content": A{M{"type": "text", "text": "Hello. How can I help?"}}},
				M{"role": "user", "content": A{M{"type": "text", "text": "Name a colour."}}},
			}}, wantSingleText),
		acceptCase(S, sec, "messages/core/max-tokens", "Core parameters", "max_tokens: 16 on a long answer → usage.output_tokens ≤ 16",
			merge(msgUser(longText), M{"max_tokens": 16}), func(r gjson.Result) error {
				if n := r.Get("usage.output_tokens").Int(); n > 16 {
					return errorf("usage.output_tokens %d exceeds max_tokens 16", n)
				}
				return nil
			}),
	}
	for _, v := range []float64{0, 0.5, 1} {
		cases = append(cases, acceptCase(S, sec, fmt.Sprintf("messages/sampling/temperature-%g", v), "Sampling",
			fmt.Sprintf("temperature: %g → 200", v), M{"temperature": v}, wantSingleText))
	}
	for _, v := range []float64{0.5, 1} {
		cases = append(cases, acceptCase(S, sec, fmt.Sprintf("messages/sampling/top-p-%g", v), "Sampling",
			fmt.Sprintf("top_p: %g → 200", v), M{"top_p": v}, wantSingleText))
	}
	cases = append(cases,
		rejectCase(S, sec, "messages/sampling/temperature-above-1", "Sampling", "temperature: 1.5 (outside 0–1)", "temperature",
			M{"temperature": 1.5}),
		rejectCase(S, sec, "messages/sampling/temperature-negative", "Sampling", "temperature: -0.5 (outside 0–1)", "temperature",
			M{"temperature": -0.5}),
		rejectCase(S, sec, "messages/sampling/top-p-above-1", "Sampling", "top_p: 1.2 (outside 0–1)", "top_p", M{"top_p": 1.2}),
		acceptCase(S, sec, "messages/format/json-schema", "Structured outputs",
			`output_config.format {type: "json_schema", schema} → one text block of JSON with the schema's keys`,
			// max_tokens leaves room to finish the object: the case is about the format, and a
			// reply cut short is not JSON whatever the server does (small models ramble).
			merge(msgUser("Name one city and its population."), M{"max_tokens": 2048,
				"output_config": M{"format": M{"type": "json_schema", "schema": citySchema}}}),
			func(r gjson.Result) error {
				text, err := replyText(Messages, r)
				if err != nil {
					return err
				}
				return jsonWithKeys(text, "name", "population")
			}),
		acceptCase(S, sec, "messages/metadata/strings", "Metadata", "metadata with string key-value pairs → 200",
			M{"metadata": M{"team": "conformance", "purpose": "support matrix"}}, wantSingleText),
		acceptCase(S, sec, "messages/metadata/window-webhook", "Metadata", "metadata with completion_window and completion_webhook → 200",
			M{"metadata": M{"team": "conformance", "completion_window": "asap", "completion_webhook": unreachableHook}}, wantSingleText),
	)
	return cases
}

func messagesRejectedCases() []Case {
	S, sec := Messages, SecMsgRejected
	block := func(b M) M {
		return M{"messages": A{M{"role": "user", "content": A{M{"type": "text", "text": "What is this?"}, b}}}}
	}
	return []Case{
		rejectCase(S, sec, "messages/reject/stream", "Streaming", "stream: true", "stream", M{"stream": true}),
		rejectCase(S, sec, "messages/reject/system", "System prompt", `system: "…"`, "system", M{"system": "Answer briefly."}),
		rejectCase(S, sec, "messages/reject/system-blocks", "System prompt", "system: [text block]", "system",
			M{"system": A{M{"type": "text", "text": "Answer briefly."}}}),
		rejectCase(S, sec, "messages/reject/thinking", "Extended thinking", `thinking {type: "enabled", budget_tokens}`, "thinking",
			M{"thinking": M{"type": "enabled", "budget_tokens": 1024}, "max_tokens": 2048}),
		rejectCase(S, sec, "messages/reject/tools", "Tools", "tools [{name, input_schema}]", "tools",
			M{"tools": A{M{"name": "get_weather", "description": "Weather", "input_schema": weatherParams}}}),
		rejectCase(S, sec, "messages/reject/tool-choice", "Tools", `tool_choice {type: "auto"}`, "tool_choice",
			M{"tool_choice": M{"type": "auto"}}),
		rejectCase(S, sec, "messages/reject/stop-sequences", "Stop sequences", `stop_sequences: ["END"]`, "stop_sequences",
			M{"stop_sequences": A{"END"}}),
		rejectCase(S, sec, "messages/reject/top-k", "Top-K sampling", "top_k: 5", "top_k", M{"top_k": 5}),
		rejectCase(S, sec, "messages/reject/image", "Multimodal content", "image block", "messages[0]",
			block(M{"type": "image", "source": M{"type": "url", "url": "https://example.com/cat.png"}})),
		rejectCase(S, sec, "messages/reject/document", "Multimodal content", "document block", "messages[0]",
			block(M{"type": "document", "source": M{"type": "text", "media_type": "text/plain", "data": "Hello"}})),
		rejectCase(S, sec, "messages/reject/tool-result", "Multimodal content", "tool_result block", "messages[0]",
			block(M{"type": "tool_result", "tool_use_id": "toolu_conformance", "content": "42"})),
		rejectCase(S, sec, "messages/reject/service-tier", "Service tier", `service_tier: "auto"`, "service_tier",
			M{"service_tier": "auto"}),
		rejectCase(S, sec, "messages/reject/inference-geo", "Inference geo", `inference_geo: "us"`, "inference_geo",
			M{"inference_geo": "us"}),
		endpointGoneCase(S, sec, "messages/reject/count-tokens", "Count tokens", "POST", messagesPath+"/count_tokens",
			M{"model": "any", "messages": A{M{"role": "user", "content": "hi"}}}),
		endpointGoneCase(S, sec, "messages/reject/batches-create", "Batches", "POST", messagesPath+"/batches",
			M{"requests": A{M{"custom_id": "a", "params": M{"model": "any", "max_tokens": 8, "messages": A{M{"role": "user", "content": "hi"}}}}}}),
		endpointGoneCase(S, sec, "messages/reject/batches-list", "Batches", "GET", messagesPath+"/batches", nil),
		endpointGoneCase(S, sec, "messages/reject/batches-get", "Batches", "GET", messagesPath+"/batches/msgbatch_conformance", nil),
	}
}

func messagesNotesCases() []Case {
	S, sec := Messages, SecMsgNotes
	const (
		stop   = `stop_reason is always "end_turn".`
		single = "Response content always contains a single text block."
		cache  = "Cache-related usage fields (cache_creation_input_tokens, cache_read_input_tokens) are not included."
	)
	noCache := func(r gjson.Result) error {
		return wantAbsent(r, "usage.cache_creation_input_tokens", "usage.cache_read_input_tokens")
	}
	return []Case{
		acceptCase(S, sec, "messages/notes/end-turn", stop, `a plain answer → stop_reason "end_turn"`, nil, wantEndTurn),
		acceptCase(S, sec, "messages/notes/end-turn-when-cut", stop,
			`an answer cut by max_tokens → stop_reason "end_turn", never "max_tokens"`,
			merge(msgUser(longText), M{"max_tokens": 16}), wantEndTurn),
		acceptCase(S, sec, "messages/notes/single-text-block", single, "content is exactly one text block", nil, wantSingleText),
		acceptCase(S, sec, "messages/notes/single-block-json", single, "with output_config json_schema: still one text block",
			M{"output_config": M{"format": M{"type": "json_schema", "schema": citySchema}}}, wantSingleText),
		acceptCase(S, sec, "messages/notes/no-cache-usage", cache, "usage has no cache_creation_input_tokens or cache_read_input_tokens",
			nil, noCache),
	}
}

func messagesCompatCases() []Case {
	S, sec := Messages, SecMsgCompat
	const (
		bearer  = "Sail uses Authorization: Bearer <key>. The Anthropic x-api-key header is not supported."
		version = "The anthropic-version header is not required or checked."
		errors  = "Error responses use the OpenAI-style error envelope format."
	)
	withHeaders := func(id, row, expect string, status int, hdrs ...header) Case {
		return Case{ID: id, Surface: S, Section: sec, Row: row, Expect: expect,
			Run: func(ctx context.Context, c *Client) error {
				r, err := c.post(ctx, messagesPath, c.messagesBody(nil), hdrs...)
				if err != nil {
					return err
				}
				if status != 200 {
					if r.Status != status {
						return errorf("want %d, got %s", status, r)
					}
					_, err := envelope(r)
					return err
				}
				root, err := jsonReply(r, 200)
				if err != nil {
					return err
				}
				return messageShape(root)
			}}
	}
	return []Case{
		withHeaders("messages/compat/bearer", bearer, "Authorization: Bearer <key> → 200", 200),
		withHeaders("messages/compat/x-api-key-refused", bearer, "x-api-key: <valid key> without Authorization → 401 envelope", 401,
			header{"Authorization", ""}, header{"X-Api-Key", apiKeyMarker}),
		withHeaders("messages/compat/no-version", version, "no anthropic-version header → 200", 200, header{"Anthropic-Version", ""}),
		withHeaders("messages/compat/any-version", version, "anthropic-version: 1999-01-01 (not checked) → 200", 200,
			header{"Anthropic-Version", "1999-01-01"}),
		{ID: "messages/compat/envelope-400", Surface: S, Section: sec, Row: errors,
			Expect: "a 400 on /v1/messages is {error:{message,type,param,code}}, not Anthropic's {type:\"error\",…}",
			Run: func(ctx context.Context, c *Client) error {
				r, err := c.post(ctx, messagesPath, c.messagesBody(M{"top_k": 5}))
				if err != nil {
					return err
				}
				return openAIEnvelopeOnly(r, 400)
			}},
		withHeaders("messages/compat/envelope-401", errors, "a 401 on /v1/messages uses the OpenAI envelope", 401,
			header{"Authorization", "Bearer sk-conformance-not-a-key"}),
		{ID: "messages/compat/envelope-malformed", Surface: S, Section: sec, Row: errors,
			Expect: "malformed JSON on /v1/messages → 400 OpenAI envelope",
			Run: func(ctx context.Context, c *Client) error {
				r, err := c.post(ctx, messagesPath, []byte(`{"model": "x", "max_tokens": 8, "messages": [`))
				if err != nil {
					return err
				}
				return openAIEnvelopeOnly(r, 400)
			}},
	}
}

// openAIEnvelopeOnly checks status, the OpenAI envelope, and the absence of Anthropic's
// top-level "type": "error".
func openAIEnvelopeOnly(r *Reply, status int) error {
	if r.Status != status {
		return errorf("want %d, got %s", status, r)
	}
	if _, err := envelope(r); err != nil {
		return err
	}
	if t := r.Get("type"); t.Exists() {
		return errorf("top-level type %s: that is Anthropic's envelope, not OpenAI's: %s", t.Raw, r)
	}
	return nil
}
