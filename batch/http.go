package batch

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"sailshim/apierr"
	"sailshim/internal/respond"
)

// Route serves /v1/batches… and /v1/files… (p is the path after /v1, the caller has
// authenticated owner). It reports false for paths it does not own.
func (s *Service) Route(ctx *fasthttp.RequestCtx, owner, p string) bool {
	post, get := ctx.IsPost(), ctx.IsGet()
	switch {
	case p == "/batches":
		switch {
		case post:
			s.handleCreate(ctx, owner)
		case get:
			s.handleList(ctx, owner)
		default:
			methodNotAllowed(ctx)
		}
	case strings.HasPrefix(p, "/batches/"):
		id, sub, hasSub := strings.Cut(p[len("/batches/"):], "/")
		switch {
		case !hasSub && get:
			s.handleGet(ctx, owner, id)
		case sub == "cancel" && post:
			s.handleCancel(ctx, owner, id)
		case hasSub && sub != "" && get:
			s.handleItem(ctx, owner, id, customIDFromPath(ctx, id, sub))
		default:
			methodNotAllowed(ctx)
		}
	case p == "/files":
		switch {
		case post:
			s.handleUpload(ctx, owner)
		case get:
			s.handleListFiles(ctx, owner)
		default:
			methodNotAllowed(ctx)
		}
	case strings.HasPrefix(p, "/files/"):
		id, sub, hasSub := strings.Cut(p[len("/files/"):], "/")
		switch {
		case !hasSub && get:
			s.handleGetFile(ctx, owner, id)
		case !hasSub && ctx.IsDelete():
			s.handleDeleteFile(ctx, owner, id)
		case sub == "content" && get:
			s.handleFileContent(ctx, owner, id)
		default:
			methodNotAllowed(ctx)
		}
	default:
		return false
	}
	return true
}

// customIDFromPath recovers the custom_id segment from the raw path: the normalised path
// collapses slashes and dot segments, and a custom_id may contain either.
func customIDFromPath(ctx *fasthttp.RequestCtx, id, fallback string) string {
	raw := string(ctx.URI().PathOriginal())
	marker := "/batches/" + id + "/"
	i := strings.Index(raw, marker)
	if i < 0 {
		return fallback
	}
	cid, err := url.PathUnescape(raw[i+len(marker):])
	if err != nil {
		return fallback
	}
	return cid
}

func methodNotAllowed(ctx *fasthttp.RequestCtx) {
	respond.Error(ctx, apierr.New(405, apierr.TypeInvalidRequest, "", "method_not_allowed",
		"Method %s is not allowed on %s.", ctx.Method(), ctx.Path()))
}

var errBodyTooLarge = errors.New("batch: body too large")

// limitReader fails with errBodyTooLarge past n bytes instead of ending quietly, so a truncated
// body is never mistaken for a complete one.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return n, errBodyTooLarge
	}
	return n, err
}

// body returns the request body as a stream, bounded by limit. With the server's
// StreamRequestBody on, large bodies arrive while this reads them; otherwise the whole body is
// already in memory.
func body(ctx *fasthttp.RequestCtx, limit int64) io.Reader {
	var r io.Reader
	if st := ctx.RequestBodyStream(); st != nil {
		r = st
	} else {
		r = bytes.NewReader(ctx.PostBody())
	}
	return &limitReader{r: r, n: limit}
}

// intParam reads an integer query parameter in [lo, hi], or def when absent.
func intParam(ctx *fasthttp.RequestCtx, name string, def, lo, hi int) (int, *apierr.Error) {
	v := ctx.QueryArgs().Peek(name)
	if len(v) == 0 {
		return def, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < lo || n > hi {
		return 0, apierr.BadValue(name, "%s must be an integer from %d to %d.", name, lo, hi)
	}
	return n, nil
}
