package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/tidwall/gjson"
)

// batchBody is a Sail batch of n Responses requests (custom_id req-1…req-n) with item extra
// fields; label is left out when empty.
func batchBody(c *Client, label string, n int, item M) M {
	reqs := make(A, n)
	for i := range reqs {
		reqs[i] = M{"custom_id": fmt.Sprintf("req-%d", i+1), "params": c.responsesBody(item)}
	}
	b := M{"endpoint": "/v1/responses", "requests": reqs}
	if label != "" {
		b["label"] = label
	}
	return b
}

// uniqueLabel is a valid label (letters, digits, -, _) no other run shares.
func uniqueLabel(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}

// batchObject checks the fields every batch object has: id batch_…, request_counts, created_at.
func batchObject(r gjson.Result, n int, label string) error {
	if id := r.Get("id").Str; !strings.HasPrefix(id, "batch_") {
		return errorf(`id %q does not start with "batch_"`, id)
	}
	if err := wantInts(r, "request_counts", "created_at"); err != nil {
		return err
	}
	if got := r.Get("request_counts").Int(); got != int64(n) {
		return errorf("request_counts %d, want %d", got, n)
	}
	if label != "" && r.Get("label").Str != label {
		return errorf("label %s, want %q", orMissing(r.Get("label")), label)
	}
	return nil
}

// createBatch posts a batch and checks the reply; any 2xx is a success.
func createBatch(ctx context.Context, c *Client, body M, hdrs ...header) (gjson.Result, error) {
	r, err := c.post(ctx, batchesPath, body, hdrs...)
	if err != nil {
		return gjson.Result{}, err
	}
	if r.Status < 200 || r.Status > 202 {
		return gjson.Result{}, errorf("want 200, got %s", r)
	}
	root, err := jsonReply(r, r.Status)
	if err != nil {
		return root, err
	}
	n := len(body["requests"].(A))
	label, _ := body["label"].(string)
	return root, batchObject(root, n, label)
}

func batchCases() []Case {
	S, sec := Batch, SecBatch
	const (
		create = "POST /v1/batches {endpoint, label, requests[{custom_id, params}]}"
		get    = "GET /v1/batches/{batch_id}"
		item   = "GET /v1/batches/{batch_id}/{custom_id}"
		list   = "GET /v1/batches (newest first; after_id, before_id, limit 1–200)"
		window = "Batch items: completion_window 15m (default) or 24h; asap is rejected"
		idem   = "POST /v1/batches supports Idempotency-Key"
	)
	reject := func(id, row, what, field string, body func(c *Client) M) Case {
		return Case{ID: id, Surface: S, Section: sec, Row: row, Expect: fmt.Sprintf("%s → 400, param %q", what, field),
			Run: func(ctx context.Context, c *Client) error { return postRejected(ctx, c, batchesPath, body(c), field) }}
	}
	withLabel := func(label string) func(c *Client) M {
		return func(c *Client) M { return batchBody(c, label, 1, nil) }
	}
	return []Case{
		{ID: "batch/create", Surface: S, Section: sec, Row: create,
			Expect: "2 requests with a label → {id: batch_…, request_counts: 2, created_at, label}",
			Run: func(ctx context.Context, c *Client) error {
				_, err := createBatch(ctx, c, batchBody(c, uniqueLabel("conformance"), 2, nil))
				return err
			}},
		{ID: "batch/get", Surface: S, Section: sec, Row: get,
			Expect: "the batch's fields plus request_status {custom_id: {status}} for every request", Run: batchGetCase},
		{ID: "batch/item", Surface: S, Section: sec, Row: item,
			Expect: "a response object (status pending/running/…); polled to completed with output and usage", Run: batchItemCase},
		{ID: "batch/item-unknown", Surface: S, Section: sec, Row: item,
			Expect: "an unknown custom_id → 404 envelope", Run: func(ctx context.Context, c *Client) error {
				b, err := createBatch(ctx, c, batchBody(c, "", 1, nil))
				if err != nil {
					return err
				}
				return wantNotFound(ctx, c, batchesPath+"/"+b.Get("id").Str+"/no-such-custom-id")
			}},
		{ID: "batch/get-unknown", Surface: S, Section: sec, Row: get,
			Expect: "an unknown batch id → 404 envelope (once creating one works)", Run: func(ctx context.Context, c *Client) error {
				if _, err := createBatch(ctx, c, batchBody(c, "", 1, nil)); err != nil {
					return err
				}
				return wantNotFound(ctx, c, batchesPath+"/batch_conformance_missing")
			}},
		{ID: "batch/list", Surface: S, Section: sec, Row: list,
			Expect: "a JSON array holding two new batches, the newer first", Run: batchListCase},
		{ID: "batch/list-limit", Surface: S, Section: sec, Row: list,
			Expect: "limit=1 → an array of one batch", Run: func(ctx context.Context, c *Client) error {
				if _, err := createBatch(ctx, c, batchBody(c, "", 1, nil)); err != nil {
					return err
				}
				arr, err := listBatches(ctx, c, url.Values{"limit": {"1"}})
				if err == nil && len(arr) != 1 {
					err = errorf("limit=1 returned %d batches", len(arr))
				}
				return err
			}},
		{ID: "batch/list-paging", Surface: S, Section: sec, Row: list,
			Expect: "after_id=<newer> holds the older and not the newer; before_id=<older> the reverse", Run: batchPagingCase},
		listLimitRejected("batch/list-limit-0", "0"),
		listLimitRejected("batch/list-limit-201", "201"),
		// Sail documents only /v1/responses; sailshim also accepts the chat and messages surfaces
		// as an extension, so the case uses an endpoint no implementation batches.
		reject("batch/reject/endpoint", create, `endpoint "/v1/embeddings"`, "endpoint", func(c *Client) M {
			b := batchBody(c, "", 1, nil)
			b["endpoint"] = "/v1/embeddings"
			return b
		}),
		reject("batch/reject/label-chars", create, `label "bad label!" (only letters, digits, -, _)`, "label", withLabel("bad label!")),
		reject("batch/reject/label-length", create, "a label of 129 characters", "label", withLabel(strings.Repeat("a", 129))),
		{ID: "batch/accept/label-128", Surface: S, Section: sec, Row: create, Expect: "a label of 128 characters → accepted",
			Run: func(ctx context.Context, c *Client) error {
				_, err := createBatch(ctx, c, batchBody(c, strings.Repeat("b", 128), 1, nil))
				return err
			}},
		reject("batch/reject/no-requests", create, "requests: []", "requests", func(c *Client) M {
			b := batchBody(c, "", 1, nil)
			b["requests"] = A{}
			return b
		}),
		reject("batch/reject/window-asap", window, `an item with completion_window "asap"`, "requests[0]", func(c *Client) M {
			return batchBody(c, "", 1, M{"metadata": M{"completion_window": "asap"}})
		}),
		{ID: "batch/accept/window-24h", Surface: S, Section: sec, Row: window, Expect: `an item with completion_window "24h" → accepted`,
			Run: func(ctx context.Context, c *Client) error {
				_, err := createBatch(ctx, c, batchBody(c, "", 1, M{"metadata": M{"completion_window": "24h"}}))
				return err
			}},
		{ID: "batch/idempotency", Surface: S, Section: sec, Row: idem,
			Expect: "the same Idempotency-Key and body twice → the same batch id", Run: func(ctx context.Context, c *Client) error {
				key := header{"Idempotency-Key", uniqueLabel("conformance-idem")}
				body := batchBody(c, "", 1, nil)
				a, err := createBatch(ctx, c, body, key)
				if err != nil {
					return err
				}
				b, err := createBatch(ctx, c, body, key)
				if err != nil {
					return err
				}
				if a.Get("id").Str != b.Get("id").Str {
					return errorf("retry created batch %q, want the first %q", b.Get("id").Str, a.Get("id").Str)
				}
				return nil
			}},
	}
}

func listLimitRejected(id, limit string) Case {
	return Case{ID: id, Surface: Batch, Section: SecBatch, Row: "GET /v1/batches (newest first; after_id, before_id, limit 1–200)",
		Expect: fmt.Sprintf("limit=%s → 400, param \"limit\"", limit),
		Run: func(ctx context.Context, c *Client) error {
			r, err := c.get(ctx, batchesPath+"?limit="+limit)
			if err != nil {
				return err
			}
			return rejected(r, "limit")
		}}
}

func wantNotFound(ctx context.Context, c *Client, path string) error {
	r, err := c.get(ctx, path)
	if err != nil {
		return err
	}
	if r.Status != 404 {
		return errorf("want 404, got %s", r)
	}
	_, err = envelope(r)
	return err
}

func batchGetCase(ctx context.Context, c *Client) error {
	label := uniqueLabel("conformance")
	created, err := createBatch(ctx, c, batchBody(c, label, 2, nil))
	if err != nil {
		return err
	}
	r, err := c.get(ctx, batchesPath+"/"+created.Get("id").Str)
	if err != nil {
		return err
	}
	root, err := jsonReply(r, 200)
	if err != nil {
		return err
	}
	if err := batchObject(root, 2, label); err != nil {
		return err
	}
	if root.Get("id").Str != created.Get("id").Str || root.Get("created_at").Int() != created.Get("created_at").Int() {
		return errorf("GET differs from the create reply: %s vs %s", trim(root.Raw), trim(created.Raw))
	}
	rs := root.Get("request_status")
	if !rs.IsObject() {
		return errorf("request_status is not an object (%s)", orMissing(rs))
	}
	for _, cid := range []string{"req-1", "req-2"} {
		if st := rs.Get(cid + ".status"); !nonEmptyString(st) {
			return errorf("request_status[%q].status is %s", cid, orMissing(st))
		}
	}
	return nil
}

// batchItemStatuses are the statuses of a batch item's response object.
var batchItemStatuses = []string{"pending", "running", "failed", "completed", "cancelled"}

func batchItemCase(ctx context.Context, c *Client) error {
	b, err := createBatch(ctx, c, batchBody(c, "", 1, nil))
	if err != nil {
		return err
	}
	var bad error
	final, err := poll(ctx, c, batchesPath+"/"+b.Get("id").Str+"/req-1", func(r gjson.Result) bool {
		st := r.Get("status").Str
		if !slices.Contains(batchItemStatuses, st) {
			bad = errorf("item status %q is not one of %q", st, batchItemStatuses)
			return true
		}
		return st != "pending" && st != "running"
	})
	if err != nil {
		return err
	}
	if bad != nil {
		return bad
	}
	if o := final.Get("object").Str; o != "response" {
		return errorf(`item object %q, want "response"`, o)
	}
	if st := final.Get("status").Str; st != "completed" {
		return errorf("item ended %q: %s", st, trim(final.Raw))
	}
	if err := wantInts(final, "usage.input_tokens", "usage.output_tokens"); err != nil {
		return err
	}
	return wantText(final)
}

// listBatches GETs /v1/batches and returns the array.
func listBatches(ctx context.Context, c *Client, q url.Values) ([]gjson.Result, error) {
	r, err := c.get(ctx, batchesPath+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	if r.Status != 200 {
		return nil, errorf("want 200, got %s", r)
	}
	root := gjson.ParseBytes(r.Body)
	if !gjson.ValidBytes(r.Body) || !root.IsArray() {
		return nil, errorf("GET /v1/batches is not a JSON array: %s", r)
	}
	return root.Array(), nil
}

func batchIDs(arr []gjson.Result) []string {
	ids := make([]string, len(arr))
	for i, b := range arr {
		ids[i] = b.Get("id").Str
	}
	return ids
}

// twoBatches creates an older and a newer batch, one after the other.
func twoBatches(ctx context.Context, c *Client) (older, newer string, err error) {
	a, err := createBatch(ctx, c, batchBody(c, "", 1, nil))
	if err != nil {
		return "", "", err
	}
	b, err := createBatch(ctx, c, batchBody(c, "", 1, nil))
	if err != nil {
		return "", "", err
	}
	return a.Get("id").Str, b.Get("id").Str, nil
}

func batchListCase(ctx context.Context, c *Client) error {
	older, newer, err := twoBatches(ctx, c)
	if err != nil {
		return err
	}
	arr, err := listBatches(ctx, c, url.Values{"limit": {"200"}})
	if err != nil {
		return err
	}
	ids := batchIDs(arr)
	i, j := slices.Index(ids, newer), slices.Index(ids, older)
	if i < 0 || j < 0 {
		return errorf("the new batches %s and %s are not both listed", newer, older)
	}
	if i > j {
		return errorf("the newer batch is listed after the older (want newest first)")
	}
	for _, b := range arr {
		if err := wantInts(b, "request_counts", "created_at"); err != nil {
			return fmt.Errorf("listed batch %s: %w", b.Get("id").Str, err)
		}
	}
	return nil
}

func batchPagingCase(ctx context.Context, c *Client) error {
	older, newer, err := twoBatches(ctx, c)
	if err != nil {
		return err
	}
	after, err := listBatches(ctx, c, url.Values{"after_id": {newer}, "limit": {"200"}})
	if err != nil {
		return err
	}
	if ids := batchIDs(after); slices.Contains(ids, newer) || !slices.Contains(ids, older) {
		return errorf("after_id=%s: want %s and not the cursor itself, got %q", newer, older, trimIDs(ids))
	}
	before, err := listBatches(ctx, c, url.Values{"before_id": {older}, "limit": {"200"}})
	if err != nil {
		return err
	}
	if ids := batchIDs(before); slices.Contains(ids, older) || !slices.Contains(ids, newer) {
		return errorf("before_id=%s: want %s and not the cursor itself, got %q", older, newer, trimIDs(ids))
	}
	return nil
}

func trimIDs(ids []string) []string {
	if len(ids) > 5 {
		return append(ids[:5:5], "…")
	}
	return ids
}
