package batch

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"sailshim/apierr"
	"sailshim/internal/respond"
)

// fileInfo is one stored file's metadata.
type fileInfo struct {
	id, owner, purpose string
	obj                []byte // the OpenAI File object
}

func fileNotFound(param, id string) *apierr.Error {
	return apierr.NotFound(param, "file_not_found", "No file found with id '%s'.", id)
}

// validFileID guards the one place a client-given id becomes a path.
func validFileID(id string) bool {
	if !strings.HasPrefix(id, "file-") || len(id) > 64 || len(id) == len("file-") {
		return false
	}
	for _, c := range id[len("file-"):] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Service) filePath(id string) string { return filepath.Join(s.filesDir, id) }

// fileFor returns owner's file id; another key's file is indistinguishable from a missing one.
func (s *Service) fileFor(owner, id, param string) (*fileInfo, *apierr.Error) {
	if !validFileID(id) {
		return nil, fileNotFound(param, id)
	}
	v, err := s.d.Store.KVGet(nsFiles, "m/"+id)
	if err != nil {
		return nil, fileNotFound(param, id)
	}
	o, rest, ok := readString(v)
	if !ok || o != owner {
		return nil, fileNotFound(param, id)
	}
	return &fileInfo{id: id, owner: o, purpose: gjson.GetBytes(rest, "purpose").Str, obj: rest}, nil
}

// saveFile records a file whose content is in place, durably, and lists it under its owner.
func (s *Service) saveFile(owner, id, filename, purpose string, size int64, created time.Time) ([]byte, error) {
	obj := append([]byte(nil), `{"id":`...)
	obj = apierr.AppendString(obj, id)
	obj = append(obj, `,"object":"file","bytes":`...)
	obj = strconv.AppendInt(obj, size, 10)
	obj = append(obj, `,"created_at":`...)
	obj = strconv.AppendInt(obj, created.Unix(), 10)
	obj = append(obj, `,"expires_at":null,"filename":`...)
	obj = apierr.AppendString(obj, filename)
	obj = append(obj, `,"purpose":`...)
	obj = apierr.AppendString(obj, purpose)
	obj = append(obj, `,"status":"processed","status_details":null}`...)
	v := binary.AppendUvarint(nil, uint64(len(owner)))
	v = append(append(v, owner...), obj...)
	if err := s.d.Store.KVPut(nsFiles, "o/"+indexKey(owner, 'f', created.UnixNano(), id), nil, false); err != nil {
		return nil, err
	}
	if err := s.d.Store.KVPut(nsFiles, "m/"+id, v, true); err != nil {
		return nil, err
	}
	return obj, nil
}

// formPart is one field of a multipart upload.
type formPart struct {
	name, filename string
	r              io.Reader
}

// eachPart calls fn for each field of a multipart/form-data body. A streamed body is read part
// by part as it arrives; one the server already parsed (it spools large files to disk) is
// walked from its form.
func eachPart(ctx *fasthttp.RequestCtx, limit int64, fn func(formPart) *apierr.Error) *apierr.Error {
	boundary := string(ctx.Request.Header.MultipartFormBoundary())
	if boundary == "" {
		return apierr.Invalid("", "invalid_content_type", "POST /v1/files takes multipart/form-data with the fields file and purpose.")
	}
	if ctx.RequestBodyStream() == nil {
		return eachFormPart(ctx, fn)
	}
	mr := multipart.NewReader(body(ctx, limit), boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, errBodyTooLarge) {
			return apierr.TooLarge(int(limit))
		}
		if err != nil {
			return apierr.Invalid("", "invalid_multipart", "The multipart body could not be read: %v.", err)
		}
		e := fn(formPart{name: p.FormName(), filename: p.FileName(), r: p})
		_ = p.Close()
		if e != nil {
			return e
		}
	}
}

func eachFormPart(ctx *fasthttp.RequestCtx, fn func(formPart) *apierr.Error) *apierr.Error {
	form, err := ctx.MultipartForm()
	if err != nil {
		return apierr.Invalid("", "invalid_multipart", "The multipart body could not be read: %v.", err)
	}
	defer ctx.Request.RemoveMultipartFormFiles()
	for name, vals := range form.Value {
		for _, v := range vals {
			if e := fn(formPart{name: name, r: strings.NewReader(v)}); e != nil {
				return e
			}
		}
	}
	for name, fhs := range form.File {
		for _, fh := range fhs {
			f, err := fh.Open()
			if err != nil {
				return apierr.Internal("The uploaded file could not be read.")
			}
			e := fn(formPart{name: name, filename: fh.Filename, r: f})
			_ = f.Close()
			if e != nil {
				return e
			}
		}
	}
	return nil
}

var errFileTooLarge = apierr.New(413, apierr.TypeInvalidRequest, "file", "request_too_large", "The file is larger than the limit.")

// upload is the state of one POST /v1/files.
type upload struct {
	s        *Service
	in       *ingest
	tmp      string
	purpose  string
	filename string
	size     int64
	lines    int
	gotFile  bool
	content  hash.Hash // SHA-256 of the file's bytes, for the Idempotency-Key fingerprint
}

// fingerprint identifies an upload by what it stores, not by its multipart framing (a client
// picks a new boundary for every request, retries included).
func (u *upload) fingerprint() (sum [32]byte) {
	h := sha256.New()
	h.Write([]byte("files\x00"))
	h.Write([]byte(u.purpose))
	h.Write([]byte{0})
	h.Write([]byte(u.filename))
	h.Write([]byte{0})
	h.Write(u.content.Sum(nil))
	h.Sum(sum[:0])
	return sum
}

// handleUpload is POST /v1/files (purpose "batch"). The file streams to disk under the data
// directory while each line is checked as a batch request; a bad line is a 400 naming it.
func (s *Service) handleUpload(ctx *fasthttp.RequestCtx, owner string) {
	key, e := idempotencyKey(ctx)
	if e != nil {
		respond.Error(ctx, e)
		return
	}
	if cl := ctx.Request.Header.ContentLength(); cl > 0 && int64(cl) > s.cfg.MaxBodyBytes+64<<10 {
		respond.Error(ctx, apierr.TooLarge(int(s.cfg.MaxBodyBytes)))
		return
	}
	id := newID("file-")
	u := &upload{s: s, in: s.newIngest(owner, lineWhere), tmp: s.filePath(id) + ".part", content: sha256.New()}
	defer os.Remove(u.tmp)
	e = eachPart(ctx, s.cfg.MaxBodyBytes+64<<10, u.part)
	switch {
	case e == errFileTooLarge:
		e = apierr.TooLarge(int(s.cfg.MaxBodyBytes))
	case e != nil:
	case !u.gotFile:
		e = apierr.Missing("file")
	case u.purpose == "":
		e = apierr.Missing("purpose")
	case u.purpose != "batch":
		e = apierr.Unsupported("purpose", "Only purpose \"batch\" is supported: files here are batch input.")
	case u.lines == 0:
		e = apierr.BadValue("file", "The file holds no requests.")
	}
	if e == nil && key != "" {
		var fresh bool
		if fresh, e = s.claim(ctx, owner, key, u.fingerprint(), id, s.replayFile); e == nil && !fresh {
			return // replayed
		}
	}
	if e != nil {
		respond.Error(ctx, e)
		return
	}
	obj, err := s.storeUpload(owner, id, key, u)
	if err != nil {
		if key != "" {
			_ = s.d.Store.Forget(owner, key)
		}
		s.log.Error("batch: storing an uploaded file failed", "err", err)
		respond.Error(ctx, apierr.Internal("The file could not be stored; retry later."))
		return
	}
	respond.JSON(ctx, 200, obj)
}

// storeUpload moves a checked upload into place and records it. An upload under an
// Idempotency-Key is marked finished last: a crash before that lets a retry upload again
// rather than find a key with no file.
func (s *Service) storeUpload(owner, id, key string, u *upload) ([]byte, error) {
	if err := os.Rename(u.tmp, s.filePath(id)); err != nil {
		return nil, err
	}
	created := time.Now()
	obj, err := s.saveFile(owner, id, u.filename, u.purpose, u.size, created)
	if err != nil {
		_ = os.Remove(s.filePath(id))
		return nil, err
	}
	if key != "" {
		if err := s.markFile(owner, id, created.UnixNano()); err != nil {
			s.log.Warn("batch: marking an idempotent upload finished failed; a retry may upload it again", "id", id, "err", err)
		}
	}
	return obj, nil
}

func (u *upload) part(p formPart) *apierr.Error {
	switch {
	case p.name == "purpose":
		b, _ := io.ReadAll(io.LimitReader(p.r, 64))
		u.purpose = string(b)
	case p.name == "file":
		if u.gotFile {
			return apierr.BadValue("file", "Send one file per upload.")
		}
		u.gotFile = true
		u.filename = p.filename
		if u.filename == "" {
			u.filename = "upload.jsonl"
		}
		return u.copy(p.r)
	case strings.HasPrefix(p.name, "expires_after"):
		return apierr.Unsupported("expires_after", "expires_after is not supported: files are kept until deleted.")
	default:
		return apierr.Unknown(p.name)
	}
	return nil
}

// copy streams the file to its temporary path, checking each line on the way.
func (u *upload) copy(r io.Reader) *apierr.Error {
	s := u.s
	f, err := os.OpenFile(u.tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		s.log.Error("batch: creating an upload file failed", "err", err)
		return apierr.Internal("The file could not be stored; retry later.")
	}
	w := &countWriter{w: bufio.NewWriterSize(f, 256<<10), limit: s.cfg.MaxBodyBytes}
	_, e := readLines(io.TeeReader(r, io.MultiWriter(w, u.content)), s.cfg.MaxItemBytes, func(n int, line []byte) *apierr.Error {
		u.lines++
		if u.lines > s.cfg.MaxItems {
			return apierr.BadValue("file", "A batch input file holds at most %d requests.", s.cfg.MaxItems)
		}
		_, _, _, e := u.in.checkLine(n, line, "")
		return e
	})
	if w.over {
		e = errFileTooLarge
	}
	ferr := w.w.Flush()
	if ferr == nil {
		ferr = f.Sync()
	}
	if cerr := f.Close(); ferr == nil {
		ferr = cerr
	}
	if e != nil {
		return e
	}
	if ferr != nil {
		s.log.Error("batch: writing an upload file failed", "err", ferr)
		return apierr.Internal("The file could not be stored; retry later.")
	}
	u.size = w.n
	return nil
}

// countWriter counts what passes and refuses more than limit bytes.
type countWriter struct {
	w     *bufio.Writer
	n     int64
	limit int64
	over  bool
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	if c.n > c.limit {
		c.over = true
		return 0, errBodyTooLarge
	}
	return c.w.Write(p)
}

// handleGetFile is GET /v1/files/{id}.
func (s *Service) handleGetFile(ctx *fasthttp.RequestCtx, owner, id string) {
	f, e := s.fileFor(owner, id, "file_id")
	if e != nil {
		respond.Error(ctx, e)
		return
	}
	respond.JSON(ctx, 200, f.obj)
}

// handleFileContent is GET /v1/files/{id}/content, streamed from disk.
func (s *Service) handleFileContent(ctx *fasthttp.RequestCtx, owner, id string) {
	if _, e := s.fileFor(owner, id, "file_id"); e != nil {
		respond.Error(ctx, e)
		return
	}
	f, err := os.Open(s.filePath(id))
	if err != nil {
		respond.Error(ctx, fileNotFound("file_id", id))
		return
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		respond.Error(ctx, apierr.Internal("The file could not be read."))
		return
	}
	ctx.Response.Header.SetContentType("application/octet-stream")
	ctx.SetStatusCode(200)
	ctx.SetBodyStream(f, int(st.Size()))
}

// handleDeleteFile is DELETE /v1/files/{id}. Batches already created from the file keep their
// own copy of its requests.
func (s *Service) handleDeleteFile(ctx *fasthttp.RequestCtx, owner, id string) {
	f, e := s.fileFor(owner, id, "file_id")
	if e != nil {
		respond.Error(ctx, e)
		return
	}
	_ = s.d.Store.KVScan(nsFiles, "o/"+owner+"/f/", func(key string, _ []byte) bool {
		if indexID(key) == id {
			_ = s.d.Store.KVDelete(nsFiles, key, false)
			return false
		}
		return true
	})
	if err := s.d.Store.KVDelete(nsFiles, "m/"+id, true); err != nil {
		respond.Error(ctx, apierr.Internal("The file could not be deleted; retry later."))
		return
	}
	_ = os.Remove(s.filePath(f.id))
	b := append(ctx.Response.Body()[:0], `{"id":`...)
	b = apierr.AppendString(b, id)
	respond.JSON(ctx, 200, append(b, `,"object":"file","deleted":true}`...))
}

// handleListFiles is GET /v1/files: OpenAI's list object, newest first unless order=asc, with
// after, limit (1–10,000, default 10,000) and purpose.
func (s *Service) handleListFiles(ctx *fasthttp.RequestCtx, owner string) {
	limit, e := intParam(ctx, "limit", 10000, 1, 10000)
	if e != nil {
		respond.Error(ctx, e)
		return
	}
	args := ctx.QueryArgs()
	order := string(args.Peek("order"))
	if order != "" && order != "asc" && order != "desc" {
		respond.Error(ctx, apierr.BadValue("order", "order must be \"asc\" or \"desc\"."))
		return
	}
	purpose, after := string(args.Peek("purpose")), string(args.Peek("after"))
	var all []*fileInfo
	_ = s.d.Store.KVScan(nsFiles, "o/"+owner+"/f/", func(key string, _ []byte) bool {
		if f, e := s.fileFor(owner, indexID(key), ""); e == nil && (purpose == "" || f.purpose == purpose) {
			all = append(all, f)
		}
		return true
	})
	if order == "asc" {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	if after != "" {
		for i, f := range all {
			if f.id == after {
				all = all[i+1:]
				break
			}
		}
	}
	more := len(all) > limit
	if more {
		all = all[:limit]
	}
	b := append(ctx.Response.Body()[:0], `{"object":"list","data":[`...)
	for i, f := range all {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, f.obj...)
	}
	first, last := "", ""
	if len(all) > 0 {
		first, last = all[0].id, all[len(all)-1].id
	}
	b = append(b, `],"first_id":`...)
	b = appendNullable(b, first)
	b = append(b, `,"last_id":`...)
	b = appendNullable(b, last)
	b = append(b, `,"has_more":`...)
	b = strconv.AppendBool(b, more)
	respond.JSON(ctx, 200, append(b, '}'))
}
