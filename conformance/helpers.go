package conformance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tidwall/gjson"
)

// rejectCase is a "Not yet supported" row: the minimal request of s plus extra must be refused
// with 400 naming field.
func rejectCase(s Surface, sec Section, id, row, what, field string, extra M) Case {
	return Case{
		ID: id, Surface: s, Section: sec, Row: row,
		Expect: fmt.Sprintf("%s → 400, param %q", what, field),
		Run: func(ctx context.Context, c *Client) error {
			return postRejected(ctx, c, pathOf(s), c.body(s, extra), field)
		},
	}
}

// acceptCase is a supported row: the minimal request of s plus extra must succeed with the
// surface's reply shape, and then pass check (which may be nil).
func acceptCase(s Surface, sec Section, id, row, what string, extra M, check func(gjson.Result) error) Case {
	return Case{
		ID: id, Surface: s, Section: sec, Row: row, Expect: what,
		Run: func(ctx context.Context, c *Client) error {
			root, _, err := succeed(ctx, c, pathOf(s), c.body(s, extra))
			if err != nil {
				return err
			}
			if err := replyShape(s, root); err != nil {
				return err
			}
			if check != nil {
				return check(root)
			}
			return nil
		},
	}
}

// endpointGoneCase is an endpoint the matrix lists as not implemented.
func endpointGoneCase(s Surface, sec Section, id, row, method, path string, body any) Case {
	return Case{
		ID: id, Surface: s, Section: sec, Row: row,
		Expect: method + " " + path + " → 404/405/501 with the error envelope",
		Run: func(ctx context.Context, c *Client) error {
			r, err := c.do(ctx, method, path, body)
			if err != nil {
				return err
			}
			return notImplemented(r)
		},
	}
}

// acceptedOrWaiting sends a request that a server may hold for a long time (a deferred
// completion window): a reply must be the success shape; no reply within wait counts as accepted,
// because a rejection is immediate.
func acceptedOrWaiting(ctx context.Context, c *Client, s Surface, body M, wait time.Duration) error {
	sub, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	r, err := c.post(sub, pathOf(s), body)
	if err != nil {
		if sub.Err() != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return note(fmt.Sprintf("no reply within %s: accepted and waiting for its window (a rejection is immediate)", wait))
		}
		return err
	}
	root, err := jsonReply(r, 200)
	if err != nil {
		return err
	}
	return replyShape(s, root)
}

// pollResponse GETs /v1/responses/{id} until its status leaves queued/in_progress, as the
// documented polling clients do.
func pollResponse(ctx context.Context, c *Client, id string) (gjson.Result, error) {
	return poll(ctx, c, responsesPath+"/"+id, func(r gjson.Result) bool {
		st := r.Get("status").Str
		return st != "queued" && st != "in_progress"
	})
}

// poll GETs path until done says so; the interval grows from 50ms to 1s.
func poll(ctx context.Context, c *Client, path string, done func(gjson.Result) bool) (gjson.Result, error) {
	wait := 50 * time.Millisecond
	for {
		r, err := c.get(ctx, path)
		if err != nil {
			return gjson.Result{}, err
		}
		root, err := jsonReply(r, 200)
		if err != nil {
			return gjson.Result{}, err
		}
		if done(root) {
			return root, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return root, errorf("still not finished when the case's deadline came: %s", trim(root.Raw))
		case <-t.C: // a polling client's interval, not synchronisation
		}
		wait = min(2*wait, time.Second)
	}
}

// longText asks for a long reply; [sim:tokens=N] makes the simulator produce exactly that many
// tokens, and a real model reads it as part of the request.
const longText = "Write a long, detailed story about a lighthouse keeper and the sea. [sim:tokens=200]"

// toolText invites a tool call; [sim:tool] makes the simulator call under tool_choice "auto".
const toolText = "What is the weather in Oslo right now? Use the get_weather tool. [sim:tool]"
