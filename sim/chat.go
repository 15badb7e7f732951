package sim

import (
	"encoding/json"
	"net"
	"time"

	"github.com/valyala/fasthttp"
)

// fate is what happens to a valid request besides its reply.
type fate struct {
	status  int  // answer with this error instead
	hang    bool // never answer
	slow    bool
	slowMin time.Duration
}

func (s *Server) chat(ctx *fasthttp.RequestCtx) {
	s.count.requests.Add(1)
	rb := s.pool.Get().(*replyBuf)
	defer s.pool.Put(rb)
	r := &rb.req
	if err := parseChat(r, ctx.PostBody(), s.modelList[0].name); err != nil {
		s.fail(ctx, rb, nil, err)
		return
	}
	m := s.models[r.model]
	if m == nil {
		s.fail(ctx, rb, nil, modelNotFound(r.model))
		return
	}
	m.requests.Add(1)
	f := s.fate(r)
	if f.status != 0 {
		s.log.Debug("sim: injected error", "status", f.status)
		s.fail(ctx, rb, m, injectedError(f.status))
		return
	}
	if f.hang {
		s.log.Debug("sim: injected hang")
		s.hang(ctx)
		return
	}
	nonce := mix(s.seq.Add(1) ^ uint64(s.cfg.Seed)*0x9e3779b97f4a7c15)
	out, tokens := appendChat(rb.out[:0], rb, r.model, nonce, s.now().Unix())
	s.pace(m, tokens, f, r.dir.delay)

	ctx.SetStatusCode(fasthttp.StatusOK)
	ctx.SetContentType("application/json")
	rb.out = ctx.Response.SwapBody(out)
	s.count.completed.Add(1)
	s.count.promptTokens.Add(int64(r.promptTokens))
	s.count.genTokens.Add(int64(tokens))
	m.completed.Add(1)
	m.promptTokens.Add(int64(r.promptTokens))
	m.genTokens.Add(int64(tokens))
}

// fate consumes at most one armed fault, then applies directives and the configured rates.
func (s *Server) fate(r *chatRequest) fate {
	f := fate{status: r.dir.errorSt, hang: r.dir.hang, slow: r.dir.slow}
	switch {
	case takeOne(&s.faults.failNext):
		f.status = int(s.faults.failStatus.Load())
		if f.status == 0 {
			f.status = fasthttp.StatusInternalServerError
		}
	case takeOne(&s.faults.hangNext):
		f.hang = true
	case takeOne(&s.faults.slowNext):
		f.slow, f.slowMin = true, time.Duration(s.faults.slowMin.Load())
	}
	if s.cfg.ErrorRate == 0 && s.cfg.HangRate == 0 && s.cfg.SlowRate == 0 {
		return f
	}
	s.rngMu.Lock()
	errDraw, hangDraw, slowDraw := s.rng.Float64(), s.rng.Float64(), s.rng.Float64()
	s.rngMu.Unlock()
	if f.status == 0 && errDraw < s.cfg.ErrorRate {
		f.status = fasthttp.StatusInternalServerError
	}
	f.hang = f.hang || hangDraw < s.cfg.HangRate
	f.slow = f.slow || slowDraw < s.cfg.SlowRate
	return f
}

// pace holds the request for its simulated service time in a running slot.
func (s *Server) pace(m *modelCounters, tokens int, f fate, delay time.Duration) {
	running, ok := s.sched.acquire(s.done, m)
	if !ok {
		return
	}
	defer s.sched.release(m)
	d := serviceTime(&s.cfg, running, tokens)
	if f.slow {
		d = max(time.Duration(float64(d)*s.cfg.SlowFactor), f.slowMin)
	}
	d += delay
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.done:
	}
}

// hang never answers: it waits for the client to leave or the server to stop, then closes the
// connection without a response.
func (s *Server) hang(ctx *fasthttp.RequestCtx) {
	s.count.hung.Add(1)
	s.changed()
	select {
	case <-watchClose(ctx.Conn()):
	case <-ctx.Done():
	case <-s.done:
	}
	s.count.hung.Add(-1)
	s.count.abandoned.Add(1)
	s.changed()
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(net.Conn) {})
}

// watchClose reports when the peer closes c (or sends anything more, which for a client that is
// waiting on this request also means it moved on). Nil when c cannot be watched.
func watchClose(c net.Conn) <-chan struct{} {
	if c == nil {
		return nil
	}
	gone := make(chan struct{})
	go func() {
		defer func() {
			// A RequestCtx built by hand (tests, benchmarks) has a stand-in conn that panics on
			// Read; then only Shutdown releases the hang.
			if recover() == nil {
				close(gone)
			}
		}()
		var b [1]byte
		_, _ = c.Read(b[:])
	}()
	return gone
}

func (s *Server) fail(ctx *fasthttp.RequestCtx, rb *replyBuf, m *modelCounters, e *vllmError) {
	s.count.failed.Add(1)
	if m != nil {
		m.failed.Add(1)
	}
	ctx.SetStatusCode(e.status)
	ctx.SetContentType("application/json")
	if e.status == fasthttp.StatusUnauthorized {
		// vLLM's --api-key middleware answers outside the OpenAI error model.
		ctx.SetBodyString(`{"error":"Unauthorized"}`)
		return
	}
	rb.out = ctx.Response.SwapBody(e.appendJSON(rb.out[:0]))
}

func (s *Server) faultsRoute(ctx *fasthttp.RequestCtx) {
	switch {
	case ctx.IsPost():
		if err := s.faults.set(ctx.PostBody()); err != nil {
			ctx.SetStatusCode(err.status)
			ctx.SetContentType("application/json")
			ctx.SetBody(err.appendJSON(nil))
			return
		}
		s.log.Info("sim: faults armed", "body", string(ctx.PostBody()))
	case ctx.IsGet():
	default:
		ctx.Response.Header.Set("Allow", "GET, POST")
		detail(ctx, fasthttp.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(s.faults.appendJSON(nil))
}

func (s *Server) writeAdmin(ctx *fasthttp.RequestCtx, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		ctx.Error(err.Error(), fasthttp.StatusInternalServerError)
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(body)
}
