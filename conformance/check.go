package conformance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"mime"
	"slices"
	"strings"

	"github.com/tidwall/gjson"
)

// errorf is a case failure.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// succeed sends a request that must be answered 200 with a JSON object and returns its root.
func succeed(ctx context.Context, c *Client, path string, body any, hdrs ...header) (gjson.Result, *Reply, error) {
	return succeedWith(ctx, c, 200, path, body, hdrs...)
}

// succeedWith is succeed with another success status (202 for background mode).
func succeedWith(ctx context.Context, c *Client, status int, path string, body any, hdrs ...header) (gjson.Result, *Reply, error) {
	r, err := c.post(ctx, path, body, hdrs...)
	if err != nil {
		return gjson.Result{}, nil, err
	}
	root, err := jsonReply(r, status)
	return root, r, err
}

// jsonReply checks a reply's status and that it is one JSON object (not an event stream).
func jsonReply(r *Reply, status int) (gjson.Result, error) {
	if r.Status != status {
		return gjson.Result{}, errorf("want %d, got %s", status, r)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return gjson.Result{}, errorf("Content-Type %q, want application/json: %s", ct, r)
		}
	}
	root := gjson.ParseBytes(r.Body)
	if !gjson.ValidBytes(r.Body) || !root.IsObject() {
		return gjson.Result{}, errorf("reply is not one JSON object: %s", r)
	}
	return root, nil
}

// envelope checks the OpenAI error envelope: {"error":{"message","type","param","code"}} with
// all four keys present, message and type non-empty strings, param and code strings or null.
func envelope(r *Reply) (gjson.Result, error) {
	root := gjson.ParseBytes(r.Body)
	if !gjson.ValidBytes(r.Body) || !root.IsObject() {
		return gjson.Result{}, errorf("error reply is not a JSON object: %s", r)
	}
	e := root.Get("error")
	if !e.IsObject() {
		return gjson.Result{}, errorf(`no "error" object (not the OpenAI envelope): %s`, r)
	}
	for _, k := range []string{"message", "type"} {
		if v := e.Get(k); v.Type != gjson.String || v.Str == "" {
			return gjson.Result{}, errorf("error.%s is not a non-empty string: %s", k, r)
		}
	}
	for _, k := range []string{"param", "code"} {
		v := e.Get(k)
		if !v.Exists() {
			return gjson.Result{}, errorf("error.%s is missing (all four keys are required): %s", k, r)
		}
		if v.Type != gjson.String && v.Type != gjson.Null {
			return gjson.Result{}, errorf("error.%s is neither a string nor null: %s", k, r)
		}
	}
	return e, nil
}

// paramNames reports whether an error's param names field: the field itself or a path inside it
// ("tools[0]" names "tools[0].type"; "include" is named by "include[2]").
func paramNames(param, field string) bool {
	return param == field || strings.HasPrefix(param, field+".") || strings.HasPrefix(param, field+"[")
}

// rejected checks the documented rejection: 400, the OpenAI envelope with type
// invalid_request_error, and param naming field.
func rejected(r *Reply, field string) error {
	if r.Status >= 200 && r.Status < 300 {
		return errorf("accepted, want a 400 naming %q: %s", field, r)
	}
	if r.Status != 400 {
		return errorf("want 400, got %s", r)
	}
	e, err := envelope(r)
	if err != nil {
		return err
	}
	if t := e.Get("type").Str; t != "invalid_request_error" {
		return errorf("error.type %q, want invalid_request_error: %s", t, r)
	}
	if p := e.Get("param"); p.Type != gjson.String || !paramNames(p.Str, field) {
		return errorf("error.param %s does not name %q: %s", p.Raw, field, r)
	}
	return nil
}

// notImplemented checks that an endpoint the matrix lists as not implemented answers with an
// error envelope and a status that says so (404, 405 or 501), never a success.
func notImplemented(r *Reply) error {
	if !slices.Contains([]int{404, 405, 501}, r.Status) {
		return errorf("want 404, 405 or 501, got %s", r)
	}
	_, err := envelope(r)
	return err
}

// postRejected sends body and checks the rejection.
func postRejected(ctx context.Context, c *Client, path string, body any, field string) error {
	r, err := c.post(ctx, path, body)
	if err != nil {
		return err
	}
	return rejected(r, field)
}

// isInt reports whether v is a JSON number with an integer value.
func isInt(v gjson.Result) bool {
	return v.Type == gjson.Number && v.Num == math.Trunc(v.Num)
}

// nonEmptyString reports whether v is a JSON string with text.
func nonEmptyString(v gjson.Result) bool { return v.Type == gjson.String && v.Str != "" }

// wantInts checks that each path of root is an integer.
func wantInts(root gjson.Result, paths ...string) error {
	for _, p := range paths {
		if v := root.Get(p); !isInt(v) {
			return errorf("%s is not an integer (%s)", p, orMissing(v))
		}
	}
	return nil
}

// wantStrings checks that each path of root is a non-empty string.
func wantStrings(root gjson.Result, paths ...string) error {
	for _, p := range paths {
		if v := root.Get(p); !nonEmptyString(v) {
			return errorf("%s is not a non-empty string (%s)", p, orMissing(v))
		}
	}
	return nil
}

// wantAbsent checks that none of the paths of root exists.
func wantAbsent(root gjson.Result, paths ...string) error {
	for _, p := range paths {
		if v := root.Get(p); v.Exists() {
			return errorf("%s is present (%s), the matrix says it is not included", p, v.Raw)
		}
	}
	return nil
}

func orMissing(v gjson.Result) string {
	if !v.Exists() {
		return "missing"
	}
	if len(v.Raw) > 80 {
		return v.Raw[:80] + "…"
	}
	return v.Raw
}

// all returns the first error of checks run in order.
func all(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// errTimeout tells a case that a request was still unanswered at its own deadline.
var errTimeout = errors.New("no reply before the deadline")
