package batch

import (
	"encoding/binary"
	"time"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"sailshim/apierr"
	"sailshim/internal/respond"
)

func batchNotFound(id string) *apierr.Error {
	return apierr.NotFound("batch_id", "batch_not_found", "No batch found with id '%s'.", id)
}

// handleGet is GET /v1/batches/{id}, in the shape the batch was created with. Another key's
// batch is indistinguishable from a missing one.
func (s *Service) handleGet(ctx *fasthttp.RequestCtx, owner, id string) {
	m, r := s.lookup(owner, id)
	if m == nil {
		respond.Error(ctx, batchNotFound(id))
		return
	}
	respond.JSON(ctx, 200, s.view(m, r, true))
}

// handleItem is GET /v1/batches/{id}/{custom_id}: the item's response object — the stored one
// once it has run, a placeholder (status pending or running) before.
func (s *Service) handleItem(ctx *fasthttp.RequestCtx, owner, id, customID string) {
	m, r := s.lookup(owner, id)
	if m == nil {
		respond.Error(ctx, batchNotFound(id))
		return
	}
	notFound := apierr.NotFound("custom_id", "request_not_found", "Batch '%s' has no request with custom_id '%s'.", id, customID)
	ib, err := s.d.Store.KVGet(nsItems, customKey(m.ID, customID))
	if err != nil || len(ib) != 4 {
		respond.Error(ctx, notFound)
		return
	}
	idx := binary.BigEndian.Uint32(ib)
	sb, err := s.d.Store.KVGet(nsItems, string(stateKey(nil, m.ID, idx)))
	var st itemState
	if err != nil || decodeItem(sb, &st) != nil {
		respond.Error(ctx, notFound)
		return
	}
	objID := itemObjectID(idPrefix(m.Surface), m.ID, idx)
	if finished(st.status) {
		if rec, err := s.d.Store.Get(objID); err == nil && rec.Owner == owner {
			respond.JSON(ctx, 200, rec.Object)
			return
		}
	}
	status := st.status
	var params []byte
	if status == itemPending {
		if r != nil && r.isRunning(idx) {
			status = itemRunning
		}
		params, _ = s.d.Store.KVGet(nsItems, string(paramsKey(nil, m.ID, idx)))
	}
	var e *apierr.Error
	if st.errCode != 0 {
		e = stateError(&st)
	}
	respond.JSON(ctx, 200, s.d.Exec.Placeholder(string(m.Surface), objID, params, time.Unix(0, m.Created), objectStatus(status), e))
}

// stateError rebuilds the error an item's state keeps.
func stateError(st *itemState) *apierr.Error {
	v := gjson.ParseBytes(st.errObj)
	return &apierr.Error{
		Status: st.errCode, Type: v.Get("type").String(), Param: v.Get("param").String(),
		Code: v.Get("code").String(), Message: v.Get("message").String(),
	}
}

// handleCancel is POST /v1/batches/{id}/cancel: the batch moves to cancelling at once; items
// not yet finished are cancelled (including those in flight) and it ends as cancelled.
func (s *Service) handleCancel(ctx *fasthttp.RequestCtx, owner, id string) {
	m, r := s.lookup(owner, id)
	if m == nil {
		respond.Error(ctx, batchNotFound(id))
		return
	}
	if r == nil {
		if m.Status == statusCancelled || m.Status == statusCancelling {
			respond.JSON(ctx, 200, s.view(m, nil, false))
			return
		}
		respond.Error(ctx, notCancellable(m.Status))
		return
	}
	cm, st, ok := r.requestCancel()
	if !ok {
		respond.Error(ctx, notCancellable(st))
		return
	}
	respond.JSON(ctx, 200, s.view(cm, nil, false))
}

func notCancellable(status string) *apierr.Error {
	return apierr.New(409, apierr.TypeInvalidRequest, "", "batch_not_cancellable",
		"A batch with status '%s' cannot be cancelled.", status)
}

// handleList is GET /v1/batches. Sail's form — a JSON array, newest first, paged with after_id,
// before_id and limit (1–200, default 25) — is the default. OpenAI's SDKs (which send
// X-Stainless-Lang) and any caller using OpenAI's `after` cursor get OpenAI's list object
// (limit 1–100, default 20). Each form lists the batches created in its own shape.
func (s *Service) handleList(ctx *fasthttp.RequestCtx, owner string) {
	args := ctx.QueryArgs()
	openai := len(ctx.Request.Header.Peek("X-Stainless-Lang")) > 0 || args.Has("after")
	if openai {
		s.listOpenAI(ctx, owner)
		return
	}
	limit, e := intParam(ctx, "limit", 25, 1, 200)
	if e != nil {
		respond.Error(ctx, e)
		return
	}
	after, before := string(args.Peek("after_id")), string(args.Peek("before_id"))
	if after != "" && before != "" {
		respond.Error(ctx, apierr.Invalid("before_id", "conflicting_parameters", "Send after_id or before_id, not both."))
		return
	}
	ids := s.page(owner, shapeSail, after, before, limit)
	b := append(ctx.Response.Body()[:0], '[')
	for i, m := range s.metas(owner, ids) {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendView(b, m)
	}
	respond.JSON(ctx, 200, append(b, ']'))
}

func (s *Service) listOpenAI(ctx *fasthttp.RequestCtx, owner string) {
	limit, e := intParam(ctx, "limit", 20, 1, 100)
	if e != nil {
		respond.Error(ctx, e)
		return
	}
	ids := s.page(owner, shapeOpenAI, string(ctx.QueryArgs().Peek("after")), "", limit+1)
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}
	ms := s.metas(owner, ids)
	b := append(ctx.Response.Body()[:0], `{"object":"list","data":[`...)
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.appendView(b, m)
	}
	b = append(b, `],"first_id":`...)
	first, last := "", ""
	if len(ms) > 0 {
		first, last = ms[0].ID, ms[len(ms)-1].ID
	}
	b = appendNullable(b, first)
	b = append(b, `,"last_id":`...)
	b = appendNullable(b, last)
	b = append(b, `,"has_more":`...)
	if more {
		b = append(b, "true}"...)
	} else {
		b = append(b, "false}"...)
	}
	respond.JSON(ctx, 200, b)
}

func (s *Service) appendView(b []byte, m *meta) []byte {
	if m.Shape == shapeOpenAI {
		return appendOpenAI(b, m)
	}
	return appendSail(b, m)
}

// page returns up to limit of owner's batch ids of one shape, newest first: those after (older
// than) after, or immediately before (newer than) before, or the newest.
func (s *Service) page(owner string, shape byte, after, before string, limit int) []string {
	var ids []string
	skipping := after != ""
	_ = s.d.Store.KVScan(nsIndex, owner+"/"+string(shape)+"/", func(key string, _ []byte) bool {
		id := indexID(key)
		switch {
		case skipping:
			skipping = id != after
			return true
		case before != "":
			if id == before {
				return false
			}
			ids = append(ids, id)
			if len(ids) > limit {
				ids = ids[1:]
			}
			return true
		}
		ids = append(ids, id)
		return len(ids) < limit
	})
	return ids
}

// metas loads the batches behind ids, skipping any that vanished.
func (s *Service) metas(owner string, ids []string) []*meta {
	out := make([]*meta, 0, len(ids))
	for _, id := range ids {
		if m, _ := s.lookup(owner, id); m != nil {
			out = append(out, m)
		}
	}
	return out
}
