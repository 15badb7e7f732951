package batch

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
	"sailshim/policy"
	"sailshim/store"
	"sailshim/webhook"
)

// task is one pending item handed to a worker.
type task struct {
	r        *run
	idx      uint32
	customID string
	window   string // as the item named it
}

// run is a batch being worked on in this process. Its items' state is in the store; run keeps
// only counters and the set of items in flight.
type run struct {
	s         *Service
	owner     string
	ctx       context.Context // ends on cancel or Close
	cancel    context.CancelFunc
	recovered bool          // resumed after a restart: an item may have finished without its state saying so
	done      chan struct{} // closed when drive returns (the batch finished, or the service closed)

	mu      sync.Mutex
	m       *meta
	running map[uint32]struct{}

	completed, failed, cancelled, expired atomic.Int64
	stopping                              atomic.Bool // cancel requested
	outstanding                           sync.WaitGroup
}

// launch starts running m (newly committed, or unfinished at start-up).
func (s *Service) launch(m *meta, recovered bool) {
	ctx, cancel := context.WithCancel(s.ctx)
	r := &run{s: s, owner: m.Owner, ctx: ctx, cancel: cancel, recovered: recovered, m: m,
		running: make(map[uint32]struct{}), done: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		return
	}
	s.runs[m.ID] = r
	s.wg.Add(1)
	s.mu.Unlock()
	if m.Status == statusCancelling {
		r.stopping.Store(true)
		cancel()
	}
	go r.drive()
}

// snapshot is the batch as it stands, with live counts.
func (r *run) snapshot() *meta {
	r.mu.Lock()
	c := *r.m
	r.mu.Unlock()
	return r.counted(&c)
}

// counted fills c's counts from the live counters.
func (r *run) counted(c *meta) *meta {
	c.Completed = int(r.completed.Load())
	c.Failed = int(r.failed.Load() + r.expired.Load())
	c.Cancelled = int(r.cancelled.Load())
	return c
}

func (r *run) isRunning(idx uint32) bool {
	r.mu.Lock()
	_, ok := r.running[idx]
	r.mu.Unlock()
	return ok
}

func (r *run) setRunning(idx uint32, on bool) {
	r.mu.Lock()
	if on {
		r.running[idx] = struct{}{}
	} else {
		delete(r.running, idx)
	}
	r.mu.Unlock()
}

// drive dispatches the batch's pending items, waits for them, and finishes the batch. On Close
// it returns early and the batch resumes at the next start.
func (r *run) drive() {
	s := r.s
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.runs, r.m.ID)
		s.mu.Unlock()
		r.cancel()
		close(r.done)
	}()
	if r.recovered {
		r.count()
	}
	r.mu.Lock()
	status := r.m.Status
	r.mu.Unlock()
	if status == statusValidating && !r.validate() {
		return
	}
	if status != statusFinalizing {
		if !r.stopping.Load() {
			r.dispatch()
		}
		r.outstanding.Wait()
		if s.ctx.Err() != nil {
			return
		}
		if r.stopping.Load() && !r.cancelRemaining() {
			return
		}
	}
	r.finalize()
}

// validate reads an OpenAI batch's input file into items, then moves the batch to in_progress,
// or to failed with an error naming the bad line. It reports false when the batch needs no more
// work here: it failed, or the service is closing (validation starts over at the next start).
// A batch cancelled meanwhile goes on to be cancelled with the items read so far.
func (r *run) validate() bool {
	s := r.s
	s.dropItems(r.m.ID) // what an interrupted validation left
	in := s.newIngest(r.owner, lineWhere)
	in.id, in.surface, in.resolved = r.m.ID, r.m.Surface, true
	line, e := s.ingestFile(in, r.m.InputFileID, r.m.Endpoint, func() bool { return r.ctx.Err() != nil })
	if s.ctx.Err() != nil {
		return false
	}
	if e == nil && in.n == 0 {
		e = apierr.BadValue("input_file_id", "The input file holds no requests.")
	}
	now := time.Now()
	r.mu.Lock()
	stopping := r.stopping.Load() // set with the status, under r.mu
	switch {
	case stopping && e == nil:
		r.m.Total = in.n
	case stopping:
	case e != nil:
		r.m.Status, r.m.FailedAt, r.m.Errors = statusFailed, now.Unix(), batchErrors(e, line)
	default:
		r.m.Status, r.m.InProgressAt, r.m.Total = statusInProgress, now.Unix(), in.n
	}
	rec := r.m.record()
	r.mu.Unlock()
	if e != nil {
		in.abort()
	} else if in.marked {
		_ = s.d.Store.KVDelete(nsIngest, in.id, false)
	}
	if err := s.d.Store.Put(rec, true); err != nil {
		s.log.Error("batch: recording a validated batch failed", "batch_id", r.m.ID, "err", err)
	}
	if e != nil && !stopping {
		s.log.Info("batch failed validation", "batch_id", r.m.ID, "line", line, "err", e.Message)
		s.notify(r.snapshot(), r)
		return false
	}
	return true
}

// count sets the counters from the stored item states (after a restart).
func (r *run) count() {
	var st itemState
	_ = r.s.d.Store.KVScan(nsItems, r.m.ID+"/s/", func(_ string, val []byte) bool {
		if decodeItem(val, &st) == nil {
			r.add(st.status)
		}
		return true
	})
}

func (r *run) add(status byte) {
	switch status {
	case itemCompleted:
		r.completed.Add(1)
	case itemFailed:
		r.failed.Add(1)
	case itemCancelled:
		r.cancelled.Add(1)
	case itemExpired:
		r.expired.Add(1)
	}
}

func (r *run) chunks() uint32 { return uint32((r.m.Total + 1<<chunkBits - 1) >> chunkBits) }

// pendingIn lists the pending items of chunk c. Scanning a chunk at a time keeps no store
// iterator open while items wait for workers.
func (r *run) pendingIn(c uint32) []task {
	var out []task
	var st itemState
	_ = r.s.d.Store.KVScan(nsItems, chunkPrefix(r.m.ID, c), func(key string, val []byte) bool {
		idx, ok := idxOf(key)
		if ok && decodeItem(val, &st) == nil && st.status == itemPending {
			out = append(out, task{r: r, idx: idx, customID: st.customID, window: st.window})
		}
		return true
	})
	return out
}

// dispatch hands pending items, in order, to the workers of each item's window class.
func (r *run) dispatch() {
	s := r.s
	for c := uint32(0); c < r.chunks(); c++ {
		for _, t := range r.pendingIn(c) {
			q := s.queues[s.itemWindow(r.m, t.window).Class]
			if q == nil {
				q = s.queues[policy.Deferrable]
			}
			r.outstanding.Add(1)
			select {
			case q <- t:
			case <-r.ctx.Done():
				r.outstanding.Done()
				return
			}
		}
	}
}

func (s *Service) worker(class policy.Class, q chan task) {
	defer s.wg.Done()
	for {
		select {
		case t := <-q:
			s.runItem(t)
			t.r.outstanding.Done()
		case <-s.ctx.Done():
			return
		}
	}
}

var errExpired = apierr.New(400, apierr.TypeInvalidRequest, "", "batch_expired",
	"This request could not be executed before the batch's completion window expired.")

// runItem runs one item to a final state, retrying upstream failures. If the batch is cancelled
// or the service closes meanwhile, the item stays pending (cancelRemaining or the next start
// takes it from there).
func (s *Service) runItem(t task) {
	r, m := t.r, t.r.m
	if r.ctx.Err() != nil {
		return
	}
	objID := itemObjectID(idPrefix(m.Surface), m.ID, t.idx)
	w := s.itemWindow(m, t.window)
	created := time.Unix(0, m.Created)
	deadline := created.Add(w.Deadline)
	if r.recovered && s.adopt(t, objID) {
		return
	}
	params, err := s.d.Store.KVGet(nsItems, string(paramsKey(nil, m.ID, t.idx)))
	if err != nil {
		s.log.Error("batch: an item's body is missing", "batch_id", m.ID, "custom_id", t.customID, "err", err)
		e := apierr.Internal("The request's stored body could not be read.")
		s.d.Exec.Finish(m.Owner, string(m.Surface), objID, nil, w, created, deadline, "failed", e)
		r.finishItem(t, itemFailed, e)
		return
	}
	if m.Shape == shapeOpenAI && m.Expires != 0 && time.Now().UnixNano() > m.Expires {
		s.d.Exec.Finish(m.Owner, string(m.Surface), objID, params, w, created, deadline, "failed", errExpired)
		r.finishItem(t, itemExpired, errExpired)
		return
	}
	r.setRunning(t.idx, true)
	defer r.setRunning(t.idx, false)
	s.m.inflight.Inc()
	defer s.m.inflight.Dec()
	pause := s.cfg.Backoff
	for attempt := 1; ; attempt++ {
		obj, status, e := s.d.Exec.Execute(r.ctx, m.Owner, string(m.Surface), objID, params, w, created, deadline)
		if e == nil { // stored: record it even if the batch was cancelled meanwhile
			if status == "failed" {
				e = objectError(obj)
				r.finishItem(t, itemFailed, e)
				return
			}
			r.finishItem(t, itemCompleted, nil)
			return
		}
		if r.ctx.Err() != nil {
			return // cancelled or closing: the item stays pending
		}
		if (e.Status >= 500 || e.Status == 429) && attempt < s.cfg.Attempts {
			s.log.Warn("batch: item attempt failed; will retry", "batch_id", m.ID, "custom_id", t.customID,
				"attempt", attempt, "code", e.Code)
			select {
			case <-r.ctx.Done():
				return
			case <-time.After(pause):
			}
			pause *= 2
			continue
		}
		s.d.Exec.Finish(m.Owner, string(m.Surface), objID, params, w, created, deadline, "failed", e)
		r.finishItem(t, itemFailed, e)
		return
	}
}

// adopt finishes an item whose object was stored before a crash lost its state update, so a
// finished item is never run again.
func (s *Service) adopt(t task, objID string) bool {
	rec, err := s.d.Store.Get(objID)
	if err != nil || !rec.Terminal() {
		return false
	}
	switch rec.Status {
	case store.StatusCompleted, store.StatusIncomplete:
		t.r.finishItem(t, itemCompleted, nil)
	case store.StatusCancelled:
		t.r.finishItem(t, itemCancelled, nil)
	default:
		t.r.finishItem(t, itemFailed, objectError(rec.Object))
	}
	return true
}

// objectError reads the error a failed response object carries.
func objectError(obj []byte) *apierr.Error {
	e := gjson.GetBytes(obj, "error")
	if !e.IsObject() {
		return apierr.Internal("The response failed.")
	}
	return &apierr.Error{
		Status: 500, Type: apierr.TypeServer,
		Code: e.Get("code").String(), Message: e.Get("message").String(),
	}
}

// finishItem stores an item's final state and drops its body. The write is not synced on its
// own: the item's response record was (Execute stores it durably), and the batch's final record
// write syncs the rest.
func (r *run) finishItem(t task, status byte, e *apierr.Error) {
	s := r.s
	st := itemState{status: status, window: t.window, customID: t.customID}
	if e != nil {
		st.errCode, st.errObj = e.Status, e.AppendObject(nil)
	}
	if err := s.d.Store.KVPut(nsItems, string(stateKey(nil, r.m.ID, t.idx)), st.append(nil), false); err != nil {
		s.log.Error("batch: storing an item's state failed; it will run again", "batch_id", r.m.ID, "custom_id", t.customID, "err", err)
		return
	}
	_ = s.d.Store.KVDelete(nsItems, string(paramsKey(nil, r.m.ID, t.idx)), false)
	r.add(status)
	s.m.items.WithLabelValues(resultName(status)).Inc()
}

func resultName(status byte) string {
	switch status {
	case itemCompleted:
		return "completed"
	case itemCancelled:
		return "cancelled"
	case itemExpired:
		return "expired"
	}
	return "failed"
}

// cancelRemaining marks every item still pending as cancelled. It reports false when the
// service closed first (the batch stays "cancelling" and finishes at the next start).
func (r *run) cancelRemaining() bool {
	s, m := r.s, r.m
	created := time.Unix(0, m.Created)
	for c := uint32(0); c < r.chunks(); c++ {
		for _, t := range r.pendingIn(c) {
			if s.ctx.Err() != nil {
				return false
			}
			params, _ := s.d.Store.KVGet(nsItems, string(paramsKey(nil, m.ID, t.idx)))
			w := s.itemWindow(m, t.window)
			objID := itemObjectID(idPrefix(m.Surface), m.ID, t.idx)
			s.d.Exec.Finish(m.Owner, string(m.Surface), objID, params, w, created, created.Add(w.Deadline), "cancelled", nil)
			r.finishItem(t, itemCancelled, nil)
		}
	}
	return true
}

// requestCancel moves the batch to cancelling and stops its work. It returns the batch as the
// cancel left it, or false with the status that kept cancel from applying (finalizing or
// already finished).
func (r *run) requestCancel() (*meta, string, bool) {
	r.mu.Lock()
	switch r.m.Status {
	case statusCancelling:
		r.mu.Unlock()
		return r.snapshot(), "", true
	case statusInProgress, statusValidating:
	default:
		st := r.m.Status
		r.mu.Unlock()
		return nil, st, false
	}
	r.m.Status, r.m.CancellingAt = statusCancelling, time.Now().Unix()
	r.stopping.Store(true)
	rec, c := r.m.record(), *r.m
	r.mu.Unlock()
	m := r.counted(&c)
	if err := r.s.d.Store.Put(rec, true); err != nil {
		r.s.log.Error("batch: recording a cancel failed", "batch_id", r.m.ID, "err", err)
	}
	r.cancel()
	return m, "", true
}

// finalize writes OpenAI's output files, then the batch's final status, then its webhook. The
// files' ids are recorded before they are written, so a restart rewrites the same files. A
// cancelled batch stays "cancelling" meanwhile; others show "finalizing".
func (r *run) finalize() {
	s := r.s
	now := time.Now()
	r.mu.Lock()
	if r.m.Shape == shapeOpenAI && r.m.OutputFileID == "" && r.m.ErrorFileID == "" {
		if !r.stopping.Load() {
			r.m.Status, r.m.FinalizingAt = statusFinalizing, now.Unix()
		}
		r.m.OutputFileID, r.m.ErrorFileID = newID("file-"), newID("file-")
		rec := r.m.record()
		r.mu.Unlock()
		if err := s.d.Store.Put(rec, true); err != nil {
			s.log.Error("batch: recording finalizing failed", "batch_id", r.m.ID, "err", err)
		}
		r.mu.Lock()
	}
	r.mu.Unlock()
	if r.m.Shape == shapeOpenAI {
		out, errs, err := s.writeOutputs(r)
		if err != nil {
			s.log.Error("batch: writing output files failed; will retry at the next start", "batch_id", r.m.ID, "err", err)
			return
		}
		r.mu.Lock()
		if !out {
			r.m.OutputFileID = ""
		}
		if !errs {
			r.m.ErrorFileID = ""
		}
		r.mu.Unlock()
	}
	m := r.snapshot()
	now = time.Now()
	switch {
	case r.stopping.Load():
		m.Status, m.CancelledAt = statusCancelled, now.Unix()
	case m.Shape == shapeOpenAI && r.expired.Load() > 0:
		m.Status, m.ExpiredAt = statusExpired, now.Unix()
	default:
		m.Status, m.CompletedAt = statusCompleted, now.Unix()
	}
	if err := s.d.Store.Put(m.record(), true); err != nil {
		s.log.Error("batch: recording a finished batch failed", "batch_id", m.ID, "err", err)
		return
	}
	r.mu.Lock()
	r.m = m
	r.mu.Unlock()
	s.log.Info("batch finished", "batch_id", m.ID, "status", m.Status, "completed", m.Completed, "failed", m.Failed, "cancelled", m.Cancelled)
	s.notify(m, r)
}

// notify queues the batch's completion webhook: the batch object as GET returns it.
func (s *Service) notify(m *meta, r *run) {
	if s.d.Webhooks == nil || m.Webhook == "" {
		return
	}
	d := webhook.Delivery{ID: m.ID, URL: m.Webhook, Token: m.WebhookToken, Body: s.view(m, r, true)}
	if err := s.d.Webhooks.Enqueue(d); err != nil {
		s.log.Error("batch: queueing the completion webhook failed", "batch_id", m.ID, "err", err)
	}
}
