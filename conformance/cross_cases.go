package conformance

import (
	"context"
	"fmt"
	"mime"
	"slices"
	"time"

	"github.com/tidwall/gjson"
)

// The three surfaces the "Cross-API behavior" lines apply to.
var crossSurfaces = []Surface{Responses, Chat, Messages}

func surfaceCases() []Case {
	sec := SecSurfaces
	const models = "All APIs accept the same models and completion windows."
	cases := []Case{
		acceptCase(Responses, sec, "responses/endpoint", "Responses POST /v1/responses Stable",
			"POST /v1/responses with --model → 200 response object with text", nil, wantText),
		acceptCase(Chat, sec, "chat/endpoint", "Chat Completions POST /v1/chat/completions Alpha",
			"POST /v1/chat/completions with --model → 200 chat.completion", nil, nil),
		acceptCase(Messages, sec, "messages/endpoint", "Messages POST /v1/messages Alpha",
			"POST /v1/messages with --model → 200 message", nil, nil),
		{ID: "batch/endpoint", Surface: Batch, Section: sec, Row: "Batch POST /v1/batches Alpha",
			Expect: "POST /v1/batches with one request → 200 batch object", Run: func(ctx context.Context, c *Client) error {
				_, err := createBatch(ctx, c, batchBody(c, "", 1, nil))
				return err
			}},
		{ID: "responses/models", Surface: Responses, Section: sec, Row: models,
			Expect: "GET /v1/models lists --model (object list, data[].id)", Run: modelsCase},
	}
	for _, s := range crossSurfaces {
		cases = append(cases, Case{ID: string(s) + "/auth/bearer-required", Surface: s, Section: sec,
			Row:    "Authorization: Bearer <key> on every endpoint (sail-facts)",
			Expect: "no Authorization header → 401 with the error envelope",
			Run: func(ctx context.Context, c *Client) error {
				r, err := c.post(ctx, pathOf(s), c.body(s, nil), header{"Authorization", ""})
				if err != nil {
					return err
				}
				if r.Status != 401 {
					return errorf("want 401, got %s", r)
				}
				_, err = envelope(r)
				return err
			}})
	}
	return cases
}

func modelsCase(ctx context.Context, c *Client) error {
	r, err := c.get(ctx, "/v1/models")
	if err != nil {
		return err
	}
	root, err := jsonReply(r, 200)
	if err != nil {
		return err
	}
	if o := root.Get("object").Str; o != "list" {
		return errorf(`object %q, want "list"`, o)
	}
	var ids []string
	for _, m := range root.Get("data").Array() {
		ids = append(ids, m.Get("id").Str)
	}
	if !slices.Contains(ids, c.Model) {
		return errorf("model %q is not listed (got %q)", c.Model, ids)
	}
	return nil
}

func crossCases() []Case {
	var cases []Case
	for _, s := range crossSurfaces {
		cases = append(cases, crossCasesOf(s)...)
	}
	cases = append(cases,
		Case{ID: "responses/cross/stored", Surface: Responses, Section: SecCross, Row: rowStored,
			Expect: "a sync response says store: true and GET /v1/responses/{id} returns it", Run: storedCase},
		acceptCase(Responses, SecCross, "responses/cross/store-true", rowStored, "store: true → 200", M{"store": true}, nil),
		acceptCase(Chat, SecCross, "chat/cross/store-true", rowStored, "store: true → 200", M{"store": true}, nil),
		Case{ID: "responses/cross/window-24h-background", Surface: Responses, Section: SecCross, Row: rowWindows,
			Expect: `background: true with completion_window "24h" → 202 at once`,
			Run: func(ctx context.Context, c *Client) error {
				root, _, err := succeedWith(ctx, c, 202, responsesPath,
					c.responsesBody(M{"background": true, "metadata": M{"completion_window": "24h"}}))
				if err != nil {
					return err
				}
				return responseShape(root)
			}},
	)
	// Group by the document's lines, surfaces in order within each.
	rank := func(row string) int { return slices.Index(crossRows, row) }
	slices.SortStableFunc(cases, func(a, b Case) int { return rank(a.Row) - rank(b.Row) })
	return cases
}

// crossRows are the lines of "Cross-API behavior" in the document's order.
var crossRows = []string{rowTextOnly, rowNoStream, rowWindows, rowWebhooks, rowStored}

const (
	rowTextOnly  = "Text only — no multimodal input or output is supported today."
	rowNoStream  = "No streaming — all responses are returned as a single JSON payload."
	rowWindows   = `Completion windows — metadata.completion_window "asap", "15m" or "24h".`
	rowWebhooks  = "Webhooks — metadata.completion_webhook receives a POST when processing finishes."
	rowStored    = "Responses always stored — store: false is not supported."
	webhookToken = "whtok-conformance"
)

func crossCasesOf(s Surface) []Case {
	sec, id := SecCross, string(s)+"/cross/"
	cases := []Case{
		acceptCase(s, sec, id+"text-only", rowTextOnly, "the reply carries text content only", nil, textOnly(s)),
		{ID: id + "single-json", Surface: s, Section: sec, Row: rowNoStream,
			Expect: "Accept: text/event-stream → still one application/json object",
			Run: func(ctx context.Context, c *Client) error {
				root, _, err := succeed(ctx, c, pathOf(s), c.body(s, nil), header{"Accept", "text/event-stream"})
				if err != nil {
					return err
				}
				return replyShape(s, root)
			}},
	}
	for _, w := range []string{"asap", "15m", "24h"} {
		cases = append(cases, Case{ID: id + "window-" + w, Surface: s, Section: sec, Row: rowWindows,
			Expect: fmt.Sprintf("metadata.completion_window %q → accepted", w),
			Run: func(ctx context.Context, c *Client) error {
				return acceptedOrWaiting(ctx, c, s, c.body(s, M{"metadata": M{"completion_window": w}}), windowWait(ctx))
			}})
	}
	cases = append(cases,
		rejectCase(s, sec, id+"window-invalid", rowWindows, `metadata.completion_window "2h"`, "metadata.completion_window",
			M{"metadata": M{"completion_window": "2h"}}),
		Case{ID: id + "webhook", Surface: s, Section: sec, Row: rowWebhooks,
			Expect: "completion_webhook + webhook_token → accepted; the POST carries the object, JSON, Bearer token",
			Run:    func(ctx context.Context, c *Client) error { return webhookCase(ctx, c, s) }},
		acceptCase(s, sec, id+"webhook-invalid", rowWebhooks, `completion_webhook "not a url" → request not affected (200)`,
			M{"metadata": M{"completion_webhook": "not a url"}}, nil),
		rejectCase(s, sec, id+"store-false", rowStored, "store: false", "store", M{"store": false}),
	)
	return cases
}

// windowWait is how long a deferred-window case waits for a reply before counting the request
// as accepted: 10s, or half of what is left of the case's time.
func windowWait(ctx context.Context) time.Duration {
	w := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		w = min(w, time.Until(dl)/2)
	}
	return w
}

// textOnly checks that a reply has no non-text content.
func textOnly(s Surface) func(gjson.Result) error {
	return func(r gjson.Result) error {
		switch s {
		case Chat:
			m := r.Get("choices.0.message")
			if a := m.Get("audio"); a.Exists() && a.Type != gjson.Null {
				return errorf("message.audio is %s", trim(a.Raw))
			}
			if m.Get("content").Type != gjson.String {
				return errorf("message.content is not a string: %s", orMissing(m.Get("content")))
			}
		case Messages:
			return wantSingleText(r)
		default:
			for _, it := range r.Get("output").Array() {
				typ := it.Get("type").Str
				if !slices.Contains([]string{"message", "reasoning", "function_call", "custom_tool_call"}, typ) {
					return errorf("output item of type %q", typ)
				}
				for _, p := range it.Get("content").Array() {
					if pt := p.Get("type").Str; !slices.Contains([]string{"output_text", "refusal", "reasoning_text"}, pt) {
						return errorf("output content part of type %q", pt)
					}
				}
			}
			return wantText(r)
		}
		return nil
	}
}

func webhookCase(ctx context.Context, c *Client, s Surface) error {
	if c.hooks == nil {
		root, _, err := succeed(ctx, c, pathOf(s), c.body(s, M{"metadata": M{
			"completion_webhook": unreachableHook, "webhook_token": webhookToken}}))
		if err != nil {
			return err
		}
		if err := replyShape(s, root); err != nil {
			return err
		}
		return note("accepted; delivery not checked (no --webhook-listen)")
	}
	url, got, done := c.hooks.expect()
	defer done()
	root, _, err := succeed(ctx, c, pathOf(s), c.body(s, M{"metadata": M{
		"completion_window": "asap", "completion_webhook": url, "webhook_token": webhookToken}}))
	if err != nil {
		return err
	}
	if err := replyShape(s, root); err != nil {
		return err
	}
	d, err := c.hooks.wait(ctx, got)
	if err != nil {
		return err
	}
	if mt, _, _ := mime.ParseMediaType(d.Header.Get("Content-Type")); mt != "application/json" {
		return errorf("webhook Content-Type %q, want application/json", d.Header.Get("Content-Type"))
	}
	if a := d.Header.Get("Authorization"); a != "Bearer "+webhookToken {
		return errorf("webhook Authorization %q, want the webhook_token as a bearer token", a)
	}
	body := gjson.ParseBytes(d.Body)
	if !gjson.ValidBytes(d.Body) || !body.IsObject() {
		return errorf("webhook body is not a JSON object: %q", trim(string(d.Body)))
	}
	if body.Get("id").Str != root.Get("id").Str {
		return errorf("webhook body id %q, want the reply's %q", body.Get("id").Str, root.Get("id").Str)
	}
	return replyShape(s, body)
}

func storedCase(ctx context.Context, c *Client) error {
	root, _, err := succeed(ctx, c, responsesPath, c.responsesBody(nil))
	if err != nil {
		return err
	}
	if st := root.Get("store"); st.Exists() && st.Type != gjson.True {
		return errorf("store is %s in the reply, want true", st.Raw)
	}
	id := root.Get("id").Str
	r, err := c.get(ctx, responsesPath+"/"+id)
	if err != nil {
		return err
	}
	got, err := jsonReply(r, 200)
	if err != nil {
		return err
	}
	if got.Get("id").Str != id || got.Get("status").Str != root.Get("status").Str {
		return errorf("GET returned id %q status %q, want %q %q", got.Get("id").Str, got.Get("status").Str, id, root.Get("status").Str)
	}
	a, _ := outputText(root)
	b, _ := outputText(got)
	if a != b {
		return errorf("stored output text differs from the reply's")
	}
	return nil
}
