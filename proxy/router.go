package proxy

import (
	"bytes"
	"strings"

	"github.com/valyala/fasthttp"

	"sailshim/apierr"
	"sailshim/internal/respond"
)

// route dispatches by method and path. Everything under /v1 needs a bearer key.
func (s *Server) route(ctx *fasthttp.RequestCtx) {
	path := ctx.Path()
	switch string(path) {
	case "/healthz":
		ctx.SetStatusCode(200)
		ctx.SetBodyString("ok\n")
		return
	case "/readyz":
		if s.d.Pool.Ready() {
			ctx.SetStatusCode(200)
			ctx.SetBodyString("ready\n")
		} else {
			respond.Error(ctx, apierr.Unavailable(1, "No upstream is healthy."))
		}
		return
	case "/metrics":
		if s.metricsHandler != nil {
			s.metricsHandler(ctx)
			return
		}
	}
	if !bytes.HasPrefix(path, []byte("/v1/")) {
		respond.Error(ctx, apierr.NotFound("", "unknown_route", "Unknown route %s %s.", ctx.Method(), path))
		return
	}
	owner, e := s.keys.authenticate(ctx.Request.Header.Peek("Authorization"), ctx.Request.Header.Peek("X-Api-Key"))
	if e != nil {
		respond.Error(ctx, e)
		return
	}
	s.routeV1(ctx, owner, string(path[len("/v1"):]))
}

func (s *Server) routeV1(ctx *fasthttp.RequestCtx, owner, p string) {
	post, get := ctx.IsPost(), ctx.IsGet()
	switch {
	case p == "/chat/completions" && post:
		s.handleCreate(ctx, owner, chatSurface)
	case p == "/responses" && post:
		s.handleCreate(ctx, owner, responsesSurface)
	case p == "/messages" && post:
		s.handleCreate(ctx, owner, messagesSurface)
	case p == "/models" && get:
		s.handleModels(ctx)
	case strings.HasPrefix(p, "/models/") && get:
		s.handleModel(ctx, p[len("/models/"):])
	case strings.HasPrefix(p, "/responses/"):
		s.routeResponse(ctx, owner, p[len("/responses/"):])
	case p == "/messages/count_tokens" || strings.HasPrefix(p, "/messages/batches"):
		respond.Error(ctx, apierr.NotImplemented("POST /v1"+p))
	case strings.HasPrefix(p, "/chat/completions/"):
		respond.Error(ctx, apierr.NotImplemented("Stored chat completion endpoints (GET, POST, DELETE /v1/chat/completions/{id})"))
	case p == "/chat/completions" || p == "/responses" || p == "/messages" || p == "/models":
		methodNotAllowed(ctx)
	default:
		if s.routeBatch(ctx, owner, p) {
			return
		}
		respond.Error(ctx, apierr.NotFound("", "unknown_route", "Unknown route %s /v1%s.", ctx.Method(), p))
	}
}

// routeResponse serves /v1/responses/{id}[/…].
func (s *Server) routeResponse(ctx *fasthttp.RequestCtx, owner, rest string) {
	id, sub, _ := strings.Cut(rest, "/")
	switch {
	case sub == "" && ctx.IsGet():
		s.handleGetResponse(ctx, owner, id)
	case sub == "" && ctx.IsDelete():
		respond.Error(ctx, apierr.NotImplemented("DELETE /v1/responses/{id}"))
	case sub == "cancel" && ctx.IsPost():
		respond.Error(ctx, apierr.NotImplemented("POST /v1/responses/{id}/cancel"))
	case sub == "input_items" && ctx.IsGet():
		respond.Error(ctx, apierr.NotImplemented("GET /v1/responses/{id}/input_items"))
	default:
		methodNotAllowed(ctx)
	}
}

func methodNotAllowed(ctx *fasthttp.RequestCtx) {
	respond.Error(ctx, apierr.New(405, apierr.TypeInvalidRequest, "", "method_not_allowed",
		"Method %s is not allowed on %s.", ctx.Method(), ctx.Path()))
}
