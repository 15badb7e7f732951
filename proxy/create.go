package proxy

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"sailshim/apierr"
	"sailshim/internal/respond"
	"sailshim/policy"
	"sailshim/rules"
	"sailshim/store"
	"sailshim/translate"
	"sailshim/webhook"
)

// job is one accepted request on its way to an engine.
type job struct {
	id       string
	owner    string
	sf       *surface
	body     []byte // the client's body; a sync job's aliases the request buffer (valid while the handler runs)
	rq       rules.Request
	window   policy.Window
	created  time.Time
	deadline time.Time
	idemKey  string // the Idempotency-Key this job holds, released if it fails
}

// replyBufs holds engine reply buffers: the engine's bytes live only until translated.
var replyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

func (j *job) meta() translate.Meta {
	return translate.Meta{ID: j.id, CreatedAt: j.created.Unix(), Model: j.rq.Model}
}

const maxIdempotencyKey = 255

// handleCreate is POST /v1/chat/completions, /v1/responses and /v1/messages.
func (s *Server) handleCreate(ctx *fasthttp.RequestCtx, owner string, sf *surface) {
	start := time.Now()
	j, e := s.accept(ctx, owner, sf)
	if e != nil {
		s.finish(ctx, sf, j, start, e)
		return
	}
	if j == nil { // replayed
		return
	}
	if j.rq.Background {
		s.startBackground(ctx, j)
		s.m.requests.WithLabelValues(string(sf.name), j.rq.Model, strconv.Itoa(ctx.Response.StatusCode())).Inc()
		return
	}
	s.runSync(ctx, j, start)
}

// accept validates, routes and claims the idempotency key. A nil job with a nil error means the
// reply was written (an idempotent replay).
func (s *Server) accept(ctx *fasthttp.RequestCtx, owner string, sf *surface) (*job, *apierr.Error) {
	// Refuse an oversized body by its declared length before reading it.
	if ctx.Request.Header.ContentLength() > s.cfg.MaxBodyBytes {
		return nil, apierr.TooLarge(s.cfg.MaxBodyBytes)
	}
	body, owned, e := readBody(ctx, s.cfg.MaxBodyBytes)
	if e != nil {
		return nil, e
	}
	j := &job{owner: owner, sf: sf}
	if e := s.d.Rules.Validate(sf.name, body, &j.rq); e != nil {
		return nil, e
	}
	if !s.d.Pool.Serves(j.rq.Model) {
		return nil, apierr.ModelNotFound(j.rq.Model)
	}
	w, e := s.d.Windows.Admit(j.rq.Window, j.rq.Background, false)
	if e != nil {
		return nil, e
	}
	j.window = w
	j.id = newID(sf.idPrefix)
	if key := ctx.Request.Header.Peek("Idempotency-Key"); len(key) > 0 {
		if len(key) > maxIdempotencyKey {
			return nil, apierr.New(400, apierr.TypeIdempotency, "Idempotency-Key", "idempotency_error",
				"The Idempotency-Key header may be at most %d characters.", maxIdempotencyKey)
		}
		replayed, e := s.claim(ctx, j, string(key), body)
		if e != nil || replayed {
			return nil, e
		}
	}
	if !owned && j.rq.Background {
		// Only a background job outlives the handler; a sync job reads fasthttp's buffer.
		body = append([]byte(nil), body...)
	}
	j.body = body
	j.created = time.Now()
	j.deadline = j.created.Add(w.Deadline)
	return j, nil
}

// claim reserves (owner, key) for j, or replays the request that holds it.
func (s *Server) claim(ctx *fasthttp.RequestCtx, j *job, key string, body []byte) (bool, *apierr.Error) {
	h := sha256.New()
	h.Write([]byte(j.sf.name))
	h.Write([]byte{0})
	h.Write(body)
	var fp [32]byte
	h.Sum(fp[:0])
	res, err := s.d.Store.Reserve(j.owner, key, fp, j.id)
	if err != nil {
		s.log.Error("idempotency reservation failed", "err", err)
		return false, apierr.Internal("The request could not be recorded; retry later.")
	}
	if res.Fresh {
		j.idemKey = key
		return false, nil
	}
	if res.Fingerprint != fp {
		return false, apierr.New(400, apierr.TypeIdempotency, "Idempotency-Key", "idempotency_error",
			"This Idempotency-Key was already used with a different request body.")
	}
	return true, s.replay(ctx, j.owner, res.ID)
}

// replay answers with the current state of the request that holds an idempotency key, waiting
// for it first if it is a sync request still running in this process.
func (s *Server) replay(ctx *fasthttp.RequestCtx, owner, id string) *apierr.Error {
	if ch, ok := s.inflight.Load(id); ok {
		select {
		case <-ch.(chan struct{}):
		case <-time.After(s.cfg.SyncTimeout):
		}
	}
	rec, err := s.d.Store.Get(id)
	if err != nil || rec.Owner != owner {
		return apierr.New(409, apierr.TypeIdempotency, "Idempotency-Key", "idempotency_error",
			"A request with this Idempotency-Key is still being processed or did not finish; retry shortly.")
	}
	status := 200
	if !rec.Terminal() {
		status = 202
	}
	ctx.Response.Header.Set("Idempotent-Replayed", "true")
	respond.JSON(ctx, status, rec.Object)
	return nil
}

// runSync serves a request on its connection.
func (s *Server) runSync(ctx *fasthttp.RequestCtx, j *job, start time.Time) {
	done := make(chan struct{})
	s.inflight.Store(j.id, done)
	defer func() { s.inflight.Delete(j.id); close(done) }()

	rctx, cancel := context.WithTimeout(context.Background(), s.cfg.SyncTimeout)
	defer cancel()
	obj, status, upstream, e := s.execute(rctx, j, nil)
	if e != nil {
		if j.sf.pending != nil { // the failure is a response object too: keep it retrievable
			s.store(j, "failed", j.sf.pending(nil, j.body, j.meta(), "failed", e), false)
		}
		s.forgetKey(j)
		s.finish(ctx, j.sf, j, start, e)
		return
	}
	s.store(j, status, obj, false)
	respond.JSON(ctx, 200, obj)
	s.notify(j, obj)
	s.finish(ctx, j.sf, j, start, nil)
	s.log.Debug("request served", "surface", j.sf.name, "model", j.rq.Model, "upstream", upstream,
		"response_id", j.id, "status", status)
}

// execute waits for the window's dispatch, sends the request and translates the reply.
// onStart runs once the scheduler lets the job go.
func (s *Server) execute(ctx context.Context, j *job, onStart func()) (obj []byte, status, upstream string, e *apierr.Error) {
	release, err := s.d.Scheduler.Acquire(ctx, policy.Job{
		ID: j.id, Key: j.owner, Model: j.rq.Model, Window: j.window,
		Submitted: j.created, Deadline: j.deadline,
	})
	if err != nil {
		var ae *apierr.Error
		if errors.As(err, &ae) {
			return nil, "", "", ae
		}
		return nil, "", "", apierr.Unavailable(5, "The request could not be scheduled before it timed out.")
	}
	defer release()
	if onStart != nil {
		onStart()
	}
	buf := replyBufs.Get().(*[]byte)
	defer replyBufs.Put(buf)
	reply, e := s.d.Pool.Do(ctx, j.rq.Model, func(dst []byte, d translate.Dialect) ([]byte, *apierr.Error) {
		return j.sf.request(dst, j.body, d)
	}, (*buf)[:0])
	if e != nil {
		return nil, "", "", e
	}
	*buf = reply.Body
	obj, e = j.sf.response(nil, reply.Body, j.body, reply.Dialect, j.meta())
	if e != nil {
		return nil, "", reply.Upstream, e
	}
	status = "completed"
	if j.sf.pending != nil {
		status = gjson.GetBytes(obj, "status").String()
	}
	return obj, status, reply.Upstream, nil
}

// store records j's object. A sync reply's copy is not fsynced on its own (the reply must not
// wait for a disk flush); a background job's records are.
func (s *Server) store(j *job, status string, obj []byte, durable bool) {
	rec := &store.Record{
		ID: j.id, Owner: j.owner, Surface: string(j.sf.name), Status: status, Object: obj,
		Window: j.window.Name, CreatedAt: j.created.UnixNano(), Deadline: j.deadline.UnixNano(),
	}
	if !rec.Terminal() {
		rec.Request = j.body
	}
	if err := s.d.Store.Put(rec, durable); err != nil {
		s.log.Error("storing a response failed", "response_id", j.id, "surface", j.sf.name, "err", err)
	}
}

// notify queues the completion webhook, if the request asked for one.
func (s *Server) notify(j *job, obj []byte) {
	if s.d.Webhooks == nil || j.rq.Webhook == "" {
		return
	}
	if err := s.d.Webhooks.Enqueue(webhook.Delivery{ID: j.id, URL: j.rq.Webhook, Token: j.rq.WebhookToken, Body: obj}); err != nil {
		s.log.Error("queueing a webhook failed", "response_id", j.id, "err", err)
	}
}

func (s *Server) forgetKey(j *job) {
	if j.idemKey == "" {
		return
	}
	if err := s.d.Store.Forget(j.owner, j.idemKey); err != nil {
		s.log.Error("releasing an idempotency key failed", "response_id", j.id, "err", err)
	}
}

// finish writes e (if any) and records the request's metrics.
func (s *Server) finish(ctx *fasthttp.RequestCtx, sf *surface, j *job, start time.Time, e *apierr.Error) {
	model := ""
	if j != nil && (e == nil || e.Status != 404) {
		model = j.rq.Model
	}
	if e != nil {
		respond.Error(ctx, e)
		if e.Status >= 500 {
			s.log.Warn("request failed", "surface", sf.name, "model", model, "status", e.Status, "code", e.Code, "err", e.Message)
		}
	}
	s.m.requests.WithLabelValues(string(sf.name), model, strconv.Itoa(ctx.Response.StatusCode())).Inc()
	s.m.duration.WithLabelValues(string(sf.name)).Observe(time.Since(start).Seconds())
}

// readBody reads the request body, at most limit bytes. The server streams request bodies (a
// batch may be 256 MB), and reading a streamed body through PostBody would log a warning per
// request, so it is read here. owned reports that the bytes are the caller's to keep.
func readBody(ctx *fasthttp.RequestCtx, limit int) (body []byte, owned bool, e *apierr.Error) {
	if !ctx.Request.IsBodyStream() {
		body = ctx.PostBody()
		if len(body) > limit {
			return nil, false, apierr.TooLarge(limit)
		}
		return body, false, nil
	}
	size := 4 << 10
	if n := ctx.Request.Header.ContentLength(); n > 0 {
		size = n + 1 // one spare byte so the final read sees EOF without growing
	}
	body = make([]byte, 0, min(size, limit+1))
	r := ctx.RequestBodyStream()
	for {
		if len(body) == cap(body) {
			body = slices.Grow(body, len(body))
		}
		n, err := r.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if len(body) > limit {
			return nil, false, apierr.TooLarge(limit)
		}
		if errors.Is(err, io.EOF) {
			return body, true, nil
		}
		if err != nil {
			return nil, false, apierr.Invalid("", "malformed_request", "The request body could not be read: %v", err)
		}
	}
}
