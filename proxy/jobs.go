package proxy

import (
	"context"
	"time"

	"github.com/valyala/fasthttp"

	"sailshim/apierr"
	"sailshim/internal/respond"
	"sailshim/store"
)

// startBackground records the job durably, answers 202 with the queued object, then runs it.
func (s *Server) startBackground(ctx *fasthttp.RequestCtx, j *job) {
	obj := j.sf.pending(nil, j.body, j.meta(), "queued", nil)
	rec := &store.Record{
		ID: j.id, Owner: j.owner, Surface: string(j.sf.name), Status: "queued", Object: obj,
		Request: j.body, Window: j.window.Name, CreatedAt: j.created.UnixNano(), Deadline: j.deadline.UnixNano(),
	}
	if err := s.d.Store.Put(rec, true); err != nil {
		s.log.Error("recording a background request failed", "response_id", j.id, "err", err)
		s.forgetKey(j)
		respond.Error(ctx, apierr.Internal("The request could not be recorded; nothing was queued. Retry later."))
		return
	}
	respond.JSON(ctx, 202, obj)
	s.spawn(j)
}

func (s *Server) spawn(j *job) {
	s.jobsWG.Add(1)
	s.m.jobs.WithLabelValues(string(j.sf.name), "queued").Inc()
	go func() {
		defer s.jobsWG.Done()
		s.runJob(j)
	}()
}

// runJob drives a background job to a terminal state. Upstream failures are retried with a
// doubling pause; a shutdown leaves the record pending for the next start.
func (s *Server) runJob(j *job) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	state := "queued"
	setState := func(to string) {
		s.m.jobs.WithLabelValues(string(j.sf.name), state).Dec()
		state = to
		if to != "" {
			s.m.jobs.WithLabelValues(string(j.sf.name), state).Inc()
		}
	}
	defer func() {
		if state != "" {
			setState("")
		}
	}()
	pause := s.cfg.JobBackoff
	for attempt := 1; ; attempt++ {
		obj, status, _, e := s.execute(ctx, j, func() {
			setState("in_progress")
			s.store(j, "in_progress", j.sf.pending(nil, j.body, j.meta(), "in_progress", nil), false)
		})
		if ctx.Err() != nil {
			return // shutting down: the record stays pending
		}
		if e == nil {
			s.store(j, status, obj, true)
			s.notify(j, obj)
			return
		}
		if (e.Status >= 500 || e.Status == 429) && attempt < s.cfg.JobAttempts {
			s.log.Warn("background job attempt failed; will retry", "response_id", j.id, "surface", j.sf.name,
				"model", j.rq.Model, "attempt", attempt, "code", e.Code)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause *= 2
			continue
		}
		s.log.Warn("background job failed", "response_id", j.id, "surface", j.sf.name, "model", j.rq.Model,
			"status", e.Status, "code", e.Code, "err", e.Message)
		failed := j.sf.pending(nil, j.body, j.meta(), "failed", e)
		s.store(j, "failed", failed, true)
		s.notify(j, failed)
		return
	}
}

// Recover resumes every stored job that had not finished (after a crash or restart) with its
// original deadline. Call it once, after the pool has discovered its models.
func (s *Server) Recover() (int, error) {
	var recs []*store.Record
	err := s.d.Store.Pending(func(rec *store.Record) bool {
		if sf := surfaceByName(rec.Surface); sf != nil && sf.pending != nil {
			recs = append(recs, rec) // other surfaces (batches) recover themselves
		}
		return true
	})
	n := 0
	for _, rec := range recs {
		sf := surfaceByName(rec.Surface)
		j := &job{id: rec.ID, owner: rec.Owner, sf: sf, body: append([]byte(nil), rec.Request...),
			created: time.Unix(0, rec.CreatedAt), deadline: time.Unix(0, rec.Deadline)}
		if e := s.d.Rules.Validate(sf.name, j.body, &j.rq); e != nil {
			s.log.Error("a stored job no longer validates; marking it failed", "response_id", rec.ID, "err", e.Message)
			s.store(j, "failed", sf.pending(nil, j.body, j.meta(), "failed", e), true)
			continue
		}
		w, ok := s.d.Windows.Lookup(rec.Window)
		if !ok {
			w = s.d.Windows.Default()
		}
		j.window = w
		if rec.Status != "queued" {
			s.store(j, "queued", sf.pending(nil, j.body, j.meta(), "queued", nil), false)
		}
		s.spawn(j)
		n++
	}
	if n > 0 {
		s.log.Info("resumed background jobs after restart", "count", n)
	}
	return n, err
}
