package conformance

import (
	"encoding/json"
	"slices"

	"github.com/tidwall/gjson"
)

// responseStatuses are the statuses a Responses object may have.
var responseStatuses = []string{"completed", "incomplete", "queued", "in_progress", "failed", "cancelled"}

// responseShape checks a Responses API response object; usage is required once it has finished.
func responseShape(r gjson.Result) error {
	if o := r.Get("object").Str; o != "response" {
		return errorf(`object %q, want "response"`, o)
	}
	if err := wantStrings(r, "id", "model", "status"); err != nil {
		return err
	}
	if st := r.Get("status").Str; !slices.Contains(responseStatuses, st) {
		return errorf("status %q is not a Responses status", st)
	}
	if !r.Get("created_at").Exists() || r.Get("created_at").Type != gjson.Number {
		return errorf("created_at is not a number (%s)", orMissing(r.Get("created_at")))
	}
	if !r.Get("output").IsArray() {
		return errorf("output is not an array (%s)", orMissing(r.Get("output")))
	}
	if st := r.Get("status").Str; st == "completed" || st == "incomplete" {
		return wantInts(r, "usage.input_tokens", "usage.output_tokens", "usage.total_tokens")
	}
	return nil
}

// completedResponse checks a finished (completed or cut short) response with text output.
func completedResponse(r gjson.Result) error {
	if err := responseShape(r); err != nil {
		return err
	}
	if st := r.Get("status").Str; st != "completed" && st != "incomplete" {
		return errorf("status %q, want completed", st)
	}
	return nil
}

// outputItems returns the response's output items of one type.
func outputItems(r gjson.Result, typ string) []gjson.Result {
	var out []gjson.Result
	for _, it := range r.Get("output").Array() {
		if it.Get("type").Str == typ {
			out = append(out, it)
		}
	}
	return out
}

// outputText is the text of the response's assistant messages; it checks their shape on the way.
func outputText(r gjson.Result) (string, error) {
	var text string
	msgs := outputItems(r, "message")
	for _, m := range msgs {
		if m.Get("role").Str != "assistant" {
			return "", errorf("output message role %q, want assistant", m.Get("role").Str)
		}
		for _, p := range m.Get("content").Array() {
			if p.Get("type").Str != "output_text" {
				continue
			}
			if p.Get("text").Type != gjson.String {
				return "", errorf("output_text part without a text string: %s", p.Raw)
			}
			text += p.Get("text").Str
		}
	}
	if len(msgs) == 0 {
		return "", errorf("no assistant message in output: %s", trim(r.Get("output").Raw))
	}
	return text, nil
}

// completionShape checks a chat.completion object.
func completionShape(r gjson.Result) error {
	if o := r.Get("object").Str; o != "chat.completion" {
		return errorf(`object %q, want "chat.completion"`, o)
	}
	if err := wantStrings(r, "id", "model"); err != nil {
		return err
	}
	if err := wantInts(r, "created", "usage.prompt_tokens", "usage.completion_tokens", "usage.total_tokens"); err != nil {
		return err
	}
	ch := r.Get("choices")
	if !ch.IsArray() || len(ch.Array()) == 0 {
		return errorf("choices is not a non-empty array (%s)", orMissing(ch))
	}
	c0 := ch.Array()[0]
	if role := c0.Get("message.role").Str; role != "assistant" {
		return errorf("choices[0].message.role %q, want assistant", role)
	}
	if c0.Get("finish_reason").Type != gjson.String {
		return errorf("choices[0].finish_reason is not a string (%s)", orMissing(c0.Get("finish_reason")))
	}
	return nil
}

// messageShape checks an Anthropic message object.
func messageShape(r gjson.Result) error {
	if t := r.Get("type").Str; t != "message" {
		return errorf(`type %q, want "message"`, t)
	}
	if role := r.Get("role").Str; role != "assistant" {
		return errorf("role %q, want assistant", role)
	}
	if err := wantStrings(r, "id", "model", "stop_reason"); err != nil {
		return err
	}
	if !r.Get("content").IsArray() {
		return errorf("content is not an array (%s)", orMissing(r.Get("content")))
	}
	return wantInts(r, "usage.input_tokens", "usage.output_tokens")
}

// replyShape checks the success object of a surface.
func replyShape(s Surface, r gjson.Result) error {
	switch s {
	case Chat:
		return completionShape(r)
	case Messages:
		return messageShape(r)
	}
	return completedResponse(r)
}

// replyText is the generated text of a surface's reply (one text block for Messages).
func replyText(s Surface, r gjson.Result) (string, error) {
	switch s {
	case Chat:
		c := r.Get("choices.0.message.content")
		if c.Type != gjson.String {
			return "", errorf("choices[0].message.content is not a string (%s)", orMissing(c))
		}
		return c.Str, nil
	case Messages:
		blocks := r.Get("content").Array()
		if len(blocks) != 1 || blocks[0].Get("type").Str != "text" || blocks[0].Get("text").Type != gjson.String {
			return "", errorf("content is not a single text block: %s", trim(r.Get("content").Raw))
		}
		return blocks[0].Get("text").Str, nil
	}
	return outputText(r)
}

// jsonWithKeys checks that text is a JSON object holding every key.
func jsonWithKeys(text string, keys ...string) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &obj); err != nil {
		return errorf("output is not a JSON object (%v): %q", err, trim(text))
	}
	for _, k := range keys {
		if _, ok := obj[k]; !ok {
			return errorf("output JSON lacks the schema's required key %q: %q", k, trim(text))
		}
	}
	return nil
}

func trim(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// citySchema is the JSON schema the structured-output cases ask for.
var citySchema = M{
	"type": "object", "additionalProperties": false, "required": A{"name", "population"},
	"properties": M{"name": M{"type": "string"}, "population": M{"type": "integer"}},
}

// weatherParams is the parameters schema of the function tool the tool cases offer.
var weatherParams = M{
	"type": "object", "additionalProperties": false, "required": A{"city"},
	"properties": M{"city": M{"type": "string", "description": "City name"}},
}
