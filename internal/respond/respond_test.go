package respond

import (
	"testing"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"sailshim/apierr"
)

func TestError(t *testing.T) {
	tests := []struct {
		name       string
		err        *apierr.Error
		status     int
		retryAfter string
	}{
		{"invalid request", apierr.Unknown("foo"), 400, ""},
		{"unavailable", apierr.Unavailable(7, "No upstream."), 503, "7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ctx fasthttp.RequestCtx
			ctx.Response.SetBodyString("left over from an earlier reply")
			Error(&ctx, tc.err)
			if got := ctx.Response.StatusCode(); got != tc.status {
				t.Errorf("status %d, want %d", got, tc.status)
			}
			if got := string(ctx.Response.Header.ContentType()); got != "application/json" {
				t.Errorf("content type %q", got)
			}
			if got := string(ctx.Response.Header.Peek("Retry-After")); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			body := ctx.Response.Body()
			if !gjson.ValidBytes(body) || gjson.GetBytes(body, "error.message").String() != tc.err.Message {
				t.Errorf("body %s", body)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	var ctx fasthttp.RequestCtx
	JSON(&ctx, 201, []byte(`{"ok":true}`))
	if ctx.Response.StatusCode() != 201 || string(ctx.Response.Body()) != `{"ok":true}` ||
		string(ctx.Response.Header.ContentType()) != "application/json" {
		t.Fatalf("%d %s %s", ctx.Response.StatusCode(), ctx.Response.Header.ContentType(), ctx.Response.Body())
	}
}
