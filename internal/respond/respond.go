// Package respond writes JSON replies on a fasthttp request: the one place an *apierr.Error
// becomes an HTTP response (status, Retry-After, the OpenAI envelope), shared by the edge
// (proxy) and the batch service so both answer alike.
//
// It owns no routing and no body parsing; it must not import anything but apierr and fasthttp.
package respond

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"sailshim/apierr"
)

// Error answers with e's status, its Retry-After when set, and its envelope, reusing the
// response's body buffer.
func Error(ctx *fasthttp.RequestCtx, e *apierr.Error) {
	ctx.Response.Header.SetContentType("application/json")
	if e.RetryAfter > 0 {
		var b [20]byte
		ctx.Response.Header.SetBytesV("Retry-After", strconv.AppendInt(b[:0], int64(e.RetryAfter), 10))
	}
	ctx.SetStatusCode(e.Status)
	ctx.SetBody(e.AppendJSON(ctx.Response.Body()[:0]))
}

// JSON answers with status and body, a JSON document.
func JSON(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.Response.Header.SetContentType("application/json")
	ctx.SetStatusCode(status)
	ctx.SetBody(body)
}
