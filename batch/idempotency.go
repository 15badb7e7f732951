package batch

import (
	"github.com/valyala/fasthttp"

	"sailshim/apierr"
	"sailshim/internal/respond"
	"sailshim/store"
)

// Idempotency-Key on POST /v1/batches and POST /v1/files works as on every other POST: the key
// is scoped to the API key, the first request with it runs, a retry with the same body replays
// what it made (Idempotent-Replayed: true) without making another, and a different body is a
// 400 idempotency_error.

const maxIdempotencyKey = 255

// fileRecordSurface is store.Record.Surface of the marker an upload under an Idempotency-Key
// leaves: the store's reservation counts as finished only once a record with its id exists, and
// a file's own metadata lives in the KV namespace (files can be deleted; records cannot).
const fileRecordSurface = "file"

func idempotencyKey(ctx *fasthttp.RequestCtx) (string, *apierr.Error) {
	key := ctx.Request.Header.Peek("Idempotency-Key")
	if len(key) > maxIdempotencyKey {
		return "", apierr.New(400, apierr.TypeIdempotency, "Idempotency-Key", "idempotency_error",
			"The Idempotency-Key header may be at most %d characters.", maxIdempotencyKey)
	}
	return string(key), nil
}

// replayFunc returns the object a finished request under a key made, nil while it is still
// being made, or an error when it can no longer be replayed.
type replayFunc func(owner, id string) ([]byte, *apierr.Error)

// claim reserves (owner, key) for id. It reports false when it answered with what the key's
// earlier request made.
func (s *Service) claim(ctx *fasthttp.RequestCtx, owner, key string, fp [32]byte, id string, replay replayFunc) (bool, *apierr.Error) {
	res, err := s.d.Store.Reserve(owner, key, fp, id)
	if err != nil {
		s.log.Error("batch: idempotency reservation failed", "err", err)
		return false, apierr.Internal("The request could not be recorded; retry later.")
	}
	if res.Fresh {
		return true, nil
	}
	if res.Fingerprint != fp {
		return false, apierr.New(400, apierr.TypeIdempotency, "Idempotency-Key", "idempotency_error",
			"This Idempotency-Key was already used with a different request body.")
	}
	obj, e := replay(owner, res.ID)
	switch {
	case e != nil:
		return false, e
	case obj == nil:
		return false, apierr.New(409, apierr.TypeIdempotency, "Idempotency-Key", "idempotency_error",
			"A request with this Idempotency-Key is still being processed or did not finish; retry shortly.")
	}
	ctx.Response.Header.Set("Idempotent-Replayed", "true")
	respond.JSON(ctx, 200, obj)
	return false, nil
}

func (s *Service) replayBatch(owner, id string) ([]byte, *apierr.Error) {
	m, _ := s.lookup(owner, id)
	if m == nil {
		return nil, nil
	}
	return s.view(m, nil, false), nil
}

func (s *Service) replayFile(owner, id string) ([]byte, *apierr.Error) {
	if f, e := s.fileFor(owner, id, "file"); e == nil {
		return f.obj, nil
	}
	if rec, err := s.d.Store.Get(id); err == nil && rec.Owner == owner && rec.Surface == fileRecordSurface {
		return nil, apierr.New(400, apierr.TypeIdempotency, "Idempotency-Key", "idempotency_error",
			"The file uploaded with this Idempotency-Key has been deleted; upload it again with a new key.")
	}
	return nil, nil
}

// markFile records that the upload holding an Idempotency-Key finished (see fileRecordSurface).
// The marker carries no object: the file's metadata stays in the KV namespace alone.
func (s *Service) markFile(owner, id string, created int64) error {
	return s.d.Store.Put(&store.Record{ID: id, Owner: owner, Surface: fileRecordSurface,
		Status: store.StatusCompleted, CreatedAt: created}, true)
}
