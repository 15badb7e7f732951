package batch

import (
	"crypto/sha256"
	"hash"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"sailshim/apierr"
	"sailshim/internal/respond"
)

// handleCreate is POST /v1/batches. The body is parsed as it streams in; its shape decides the
// API: requests → Sail's batch, input_file_id → OpenAI's file-based batch.
func (s *Service) handleCreate(ctx *fasthttp.RequestCtx, owner string) {
	key, e := idempotencyKey(ctx)
	if e != nil {
		respond.Error(ctx, e)
		return
	}
	if cl := ctx.Request.Header.ContentLength(); cl > 0 && int64(cl) > s.cfg.MaxBodyBytes {
		respond.Error(ctx, apierr.TooLarge(int(s.cfg.MaxBodyBytes)))
		return
	}
	fp := sha256.New()
	fp.Write([]byte("batches\x00"))
	r := io.TeeReader(body(ctx, s.cfg.MaxBodyBytes), fp)
	in := s.newIngest(owner, sailWhere)
	lim := limits{maxItems: s.cfg.MaxItems, maxItem: s.cfg.MaxItemBytes, maxBody: s.cfg.MaxBodyBytes}
	h, e := parseBatch(r, lim, in.item)
	if e == nil {
		if h.hasRequests || !h.hasInputFile {
			e = s.createSail(ctx, in, h, key, fp)
		} else {
			e = s.createFromFile(ctx, in, h, key, fp)
		}
	}
	if e != nil {
		in.abort()
		respond.Error(ctx, e)
	}
}

// createSail checks the members of a Sail batch and commits it. Items are stored already.
func (s *Service) createSail(ctx *fasthttp.RequestCtx, in *ingest, h *head, key string, fp hash.Hash) *apierr.Error {
	switch {
	case h.hasInputFile:
		return apierr.Invalid("input_file_id", "conflicting_parameters",
			"Send either requests (a Sail batch) or input_file_id (an OpenAI file-based batch), not both.")
	case !h.hasRequests:
		return apierr.Missing("requests")
	case h.hasWindow:
		return apierr.Unknown("completion_window")
	case h.hasExpiry:
		return apierr.Unknown("output_expires_after")
	case !h.hasEndpoint:
		return apierr.Missing("endpoint")
	}
	sf, ok := surfaceFor(h.endpoint)
	if !ok {
		return badEndpoint("endpoint", h.endpoint)
	}
	in.surface = sf
	if h.items == 0 {
		return apierr.BadValue("requests", "A batch needs at least one request.")
	}
	if h.hasLabel {
		if e := checkLabel(h.label); e != nil {
			return e
		}
	}
	bm, e := s.checkMetadata(h.metadata)
	if e != nil {
		return e
	}
	if _, ok := s.batchWindow(bm.window); !ok {
		return apierr.BadValue("metadata.completion_window", "The default completion window cannot be used for batch requests; name one in metadata.completion_window.")
	}
	if in.deferred {
		if e := in.revalidate(); e != nil {
			return e
		}
	}
	m := &meta{
		Shape: shapeSail, Endpoint: h.endpoint, Surface: sf, Label: h.label, Window: bm.window,
		Total: h.items, Metadata: h.metadata, Webhook: bm.webhook, WebhookToken: bm.token,
	}
	return s.finishCreate(ctx, in, m, key, fp)
}

// finishCreate claims the idempotency key (replaying the batch that holds it), commits and
// answers.
func (s *Service) finishCreate(ctx *fasthttp.RequestCtx, in *ingest, m *meta, key string, fp hash.Hash) *apierr.Error {
	if key != "" {
		var sum [32]byte
		fp.Sum(sum[:0])
		fresh, e := s.claim(ctx, in.owner, key, sum, in.id, s.replayBatch)
		if e != nil || !fresh {
			in.abort()
			return e
		}
	}
	if e := s.commit(in, m); e != nil {
		if key != "" {
			_ = s.d.Store.Forget(in.owner, key)
		}
		return e
	}
	respond.JSON(ctx, 200, s.view(m, nil, false))
	return nil
}

// createFromFile creates an OpenAI file-based batch. Problems with the request are errors; the
// batch is then answered "validating" while its run reads the input file's lines into items
// (validate), and a bad line fails the batch (status "failed", errors naming the line), as
// OpenAI's validation does.
func (s *Service) createFromFile(ctx *fasthttp.RequestCtx, in *ingest, h *head, key string, fp hash.Hash) *apierr.Error {
	switch {
	case h.hasLabel:
		return apierr.Unknown("label")
	case !h.hasEndpoint:
		return apierr.Missing("endpoint")
	case !h.hasWindow:
		return apierr.Missing("completion_window")
	case h.hasExpiry:
		return apierr.Unsupported("output_expires_after", "output_expires_after is not supported: output files are kept until deleted.")
	}
	sf, ok := surfaceFor(h.endpoint)
	if !ok {
		return badEndpoint("endpoint", h.endpoint)
	}
	w, e := s.d.Windows.Admit(h.window, false, true)
	if e != nil {
		c := *e
		c.Param = "completion_window"
		return &c
	}
	bm, e := s.checkMetadata(h.metadata)
	if e != nil {
		return e
	}
	if bm.window != "" && bm.window != h.window {
		return apierr.BadValue("metadata.completion_window", "metadata.completion_window (%q) differs from completion_window (%q); send one.", bm.window, h.window)
	}
	f, e := s.fileFor(in.owner, h.inputFileID, "input_file_id")
	if e != nil {
		return e
	}
	if f.purpose != "batch" {
		return apierr.BadValue("input_file_id", "File '%s' was uploaded with purpose %q; a batch's input file needs purpose \"batch\".", f.id, f.purpose)
	}
	now := time.Now()
	m := &meta{
		Shape: shapeOpenAI, Endpoint: h.endpoint, Surface: sf, Window: h.window, InputFileID: f.id,
		Metadata: h.metadata, Webhook: bm.webhook, WebhookToken: bm.token, Status: statusValidating,
		Created: now.UnixNano(), Expires: now.Add(w.Deadline).UnixNano(),
	}
	return s.finishCreate(ctx, in, m, key, fp)
}

// batchErrors is OpenAI's errors list holding e, found at line (0: not about a line).
func batchErrors(e *apierr.Error, line int) []byte {
	b := append([]byte(nil), `{"object":"list","data":[{"code":`...)
	b = apierr.AppendString(b, e.Code)
	b = append(b, `,"message":`...)
	b = apierr.AppendString(b, e.Message)
	b = append(b, `,"param":`...)
	if e.Param == "" {
		b = append(b, "null"...)
	} else {
		b = apierr.AppendString(b, e.Param)
	}
	b = append(b, `,"line":`...)
	if line > 0 {
		b = strconv.AppendInt(b, int64(line), 10)
	} else {
		b = append(b, "null"...)
	}
	return append(b, `}]}`...)
}

// errStopped ends an ingestion that its batch's cancel or the service's Close interrupted.
var errStopped = apierr.New(409, apierr.TypeInvalidRequest, "", "batch_cancelled", "The batch was stopped while it was being validated.")

// ingestFile stores the lines of input file id as items, each checked again (the rules may have
// changed since the upload) and required to target endpoint, until stop reports true. It
// returns the offending line.
func (s *Service) ingestFile(in *ingest, id, endpoint string, stop func() bool) (int, *apierr.Error) {
	f, err := os.Open(s.filePath(id))
	if err != nil {
		s.log.Error("batch: opening an input file failed", "file_id", id, "err", err)
		in.failed = true
		return 0, apierr.Internal("The input file could not be read.")
	}
	defer f.Close()
	in.where = lineWhere
	idx := uint32(0)
	return readLines(f, s.cfg.MaxItemBytes, func(n int, line []byte) *apierr.Error {
		if stop() {
			return errStopped
		}
		if int(idx) >= s.cfg.MaxItems {
			return apierr.BadValue("input_file_id", "A batch holds at most %d requests.", s.cfg.MaxItems)
		}
		cid, window, body, e := in.checkLine(n, line, endpoint)
		if e != nil {
			return e
		}
		if e := in.store(idx, cid, window, body); e != nil {
			return e
		}
		idx++
		return nil
	})
}

// lookup returns owner's batch id, live if it is running here; nil when there is none.
func (s *Service) lookup(owner, id string) (*meta, *run) {
	s.mu.Lock()
	r := s.runs[id]
	s.mu.Unlock()
	if r != nil && r.owner == owner {
		return r.snapshot(), r
	}
	rec, err := s.d.Store.Get(id)
	if err != nil || rec.Owner != owner || rec.Surface != recordSurface {
		return nil, nil
	}
	m, err := decodeMeta(rec.Object)
	if err != nil {
		return nil, nil
	}
	m.Owner = rec.Owner
	return m, nil
}
