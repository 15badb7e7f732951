package proxy

import "github.com/valyala/fasthttp"

// Batches serves the batch and file routes (batch.Service). It lives beside the edge rather than
// in it because batch ingestion and per-item state are their own concern; the edge only routes.
type Batches interface {
	// Route serves p (the path after /v1) for the authenticated owner, or reports false for a
	// path it does not own.
	Route(ctx *fasthttp.RequestCtx, owner, p string) bool
}

// SetBatches installs the batch service. The service runs items through this Server (it is
// its Executor), so it is built after the Server; call SetBatches before Serve.
func (s *Server) SetBatches(b Batches) { s.d.Batches = b }

// routeBatch serves /v1/batches and /v1/files; it reports false for paths it does not own.
func (s *Server) routeBatch(ctx *fasthttp.RequestCtx, owner, p string) bool {
	if s.d.Batches == nil {
		return false
	}
	return s.d.Batches.Route(ctx, owner, p)
}
