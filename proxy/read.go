package proxy

import (
	"strconv"

	"github.com/valyala/fasthttp"

	"sailshim/apierr"
	"sailshim/internal/respond"
	"sailshim/rules"
)

// handleGetResponse is GET /v1/responses/{id}: the stored object as it is now. Another key's
// response is indistinguishable from a missing one.
func (s *Server) handleGetResponse(ctx *fasthttp.RequestCtx, owner, id string) {
	rec, err := s.d.Store.Get(id)
	if err != nil || rec.Owner != owner || rec.Surface != string(rules.Responses) {
		respond.Error(ctx, apierr.NotFound("id", "response_not_found", "No response found with id '%s'.", id))
		return
	}
	respond.JSON(ctx, 200, rec.Object)
}

// handleModels is GET /v1/models: the union of what the upstreams serve, in OpenAI's list form.
func (s *Server) handleModels(ctx *fasthttp.RequestCtx) {
	b := append(ctx.Response.Body()[:0], `{"object":"list","data":[`...)
	for i, m := range s.d.Pool.Models() {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendModel(b, m, s.started)
	}
	respond.JSON(ctx, 200, append(b, "]}"...))
}

// handleModel is GET /v1/models/{id}.
func (s *Server) handleModel(ctx *fasthttp.RequestCtx, id string) {
	if !s.d.Pool.Serves(id) {
		respond.Error(ctx, apierr.ModelNotFound(id))
		return
	}
	respond.JSON(ctx, 200, appendModel(nil, id, s.started))
}

// appendModel writes one model object; created is when this process started (engines do not
// say when a model was made).
func appendModel(b []byte, id string, created int64) []byte {
	b = append(b, `{"id":`...)
	b = apierr.AppendString(b, id)
	b = append(b, `,"object":"model","created":`...)
	b = strconv.AppendInt(b, created, 10)
	return append(b, `,"owned_by":"sailshim"}`...)
}
