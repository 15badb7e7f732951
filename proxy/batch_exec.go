package proxy

import (
	"context"
	"strconv"
	"time"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
	"sailshim/policy"
	"sailshim/translate"
)

// The batch service runs each item through this Server (it implements batch.Executor): the same
// validation, scheduler, pool, translation, storage and webhooks as a single request, so a
// batch item is indistinguishable from a background request once it has run.

// batchJob builds the job of one batch item. The body is the item's own (the batch keeps it).
func (s *Server) batchJob(owner, surface, id string, body []byte, w policy.Window, created, deadline time.Time) (*job, *apierr.Error) {
	sf := surfaceByName(surface)
	if sf == nil {
		return nil, apierr.Internal("Unknown batch surface %q.", surface)
	}
	j := &job{id: id, owner: owner, sf: sf, body: body, window: w, created: created, deadline: deadline}
	if e := s.d.Rules.Validate(sf.name, body, &j.rq); e != nil {
		return j, e
	}
	return j, nil
}

// Execute runs one batch item and stores its object like any background response.
func (s *Server) Execute(ctx context.Context, owner, surface, id string, body []byte, w policy.Window, created, deadline time.Time) ([]byte, string, *apierr.Error) {
	j, e := s.batchJob(owner, surface, id, body, w, created, deadline)
	if e != nil {
		return nil, "", e
	}
	// The scheduler and the pool both give up when ctx ends (a cancelled batch, a shutdown), so
	// a hung engine does not hold the item.
	obj, status, _, e := s.execute(ctx, j, nil)
	if e != nil {
		return nil, "", e
	}
	s.store(j, status, obj, true)
	s.notify(j, obj)
	return obj, status, nil
}

// Finish records a batch item that ends without a reply (failed or cancelled). The write is not
// synced on its own: the batch syncs its final state after its items.
func (s *Server) Finish(owner, surface, id string, body []byte, w policy.Window, created, deadline time.Time, status string, e *apierr.Error) []byte {
	j, verr := s.batchJob(owner, surface, id, body, w, created, deadline)
	if j == nil {
		return s.Placeholder(surface, id, body, created, status, e)
	}
	if verr != nil {
		j.rq.Reset() // a body that no longer validates still gets its object, without a webhook
	}
	obj := s.Placeholder(surface, id, body, created, status, e)
	if j.sf.pending != nil {
		s.store(j, status, obj, false)
	}
	s.notify(j, obj)
	return obj
}

// Placeholder is the object of a batch item without a reply: the surface's own queued/failed
// shape where it has one (Responses), else a small {"id","object":"batch.request",…} object.
func (s *Server) Placeholder(surface, id string, body []byte, created time.Time, status string, e *apierr.Error) []byte {
	m := translate.Meta{ID: id, CreatedAt: created.Unix(), Model: gjson.GetBytes(body, "model").String()}
	if sf := surfaceByName(surface); sf != nil && sf.pending != nil {
		return sf.pending(nil, body, m, status, e)
	}
	b := append([]byte(nil), `{"id":`...)
	b = apierr.AppendString(b, id)
	b = append(b, `,"object":"batch.request","created_at":`...)
	b = strconv.AppendInt(b, m.CreatedAt, 10)
	b = append(b, `,"model":`...)
	b = apierr.AppendString(b, m.Model)
	b = append(b, `,"status":`...)
	b = apierr.AppendString(b, status)
	b = append(b, `,"error":`...)
	if e != nil && status == "failed" {
		b = e.AppendObject(b)
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}
