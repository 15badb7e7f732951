package batch

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
)

// head is what a create-batch body says besides its items. Fields the client sent as null count
// as absent.
type head struct {
	endpoint, label, window, inputFileID string
	metadata                             []byte // raw object
	hasEndpoint, hasLabel, hasWindow     bool
	hasInputFile, hasRequests, hasExpiry bool
	items                                int
}

type limits struct {
	maxItems int   // items in requests
	maxItem  int64 // bytes of one value (an item, or any other top-level member)
	maxBody  int64 // bytes of the whole body (enforced by the reader; named in the 413)
}

// itemFunc receives one element of requests. params is only valid during the call. h holds
// the members parsed so far (the endpoint may still be to come).
type itemFunc func(h *head, i int, customID string, params []byte) *apierr.Error

// maxCustomID bounds a custom_id: it is a key in the store and in every status listing.
const maxCustomID = 512

var errValueTooLarge = errors.New("batch: value too large")

// windowReader fails once the decoder holds more than limit bytes it has not consumed, so one
// oversized item is refused without being buffered whole.
type windowReader struct {
	r     io.Reader
	read  int64
	dec   *json.Decoder
	limit int64
}

func (w *windowReader) Read(p []byte) (int, error) {
	if w.read-w.dec.InputOffset() > w.limit {
		return 0, errValueTooLarge
	}
	n, err := w.r.Read(p)
	w.read += int64(n)
	return n, err
}

// parseBatch walks a create-batch body from r without holding more than one item, calling
// onItem for each element of requests. It reads r to its end (trailing data is an error).
// encoding/json's Decoder is used because the body is streamed and this is not the per-request
// hot path; each item is then read with gjson.
func parseBatch(r io.Reader, lim limits, onItem itemFunc) (*head, *apierr.Error) {
	h := &head{}
	wr := &windowReader{r: r, limit: lim.maxItem}
	dec := json.NewDecoder(wr)
	wr.dec = dec
	p := &parser{dec: dec, lim: lim, h: h, onItem: onItem}
	if e := p.object(); e != nil {
		return h, e
	}
	if _, err := dec.Token(); err != io.EOF {
		return h, p.syntax(err, "")
	}
	return h, nil
}

type parser struct {
	dec    *json.Decoder
	lim    limits
	h      *head
	onItem itemFunc
	raw    json.RawMessage // reused for every value
	seen   map[string]bool
}

func (p *parser) syntax(err error, where string) *apierr.Error {
	switch {
	case errors.Is(err, errBodyTooLarge):
		return apierr.TooLarge(int(p.lim.maxBody))
	case errors.Is(err, errValueTooLarge):
		if where == "" {
			where = "A member of the body"
		}
		return apierr.New(413, apierr.TypeInvalidRequest, paramOf(where), "request_too_large",
			"%s exceeds %d bytes.", where, p.lim.maxItem)
	case err == nil, err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF):
		return apierr.Invalid("", "invalid_json", "The JSON body ended early: it must be one complete JSON object.")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return apierr.Invalid("", "invalid_json", "The body is not valid JSON (byte %d): %s.", se.Offset, se.Error())
	}
	return apierr.Invalid("", "invalid_json", "The body could not be read: %v.", err)
}

// paramOf turns "requests[3]" into a param; a sentence (no bracket) gives none.
func paramOf(where string) string {
	if len(where) > 0 && where[len(where)-1] == ']' {
		return where
	}
	return ""
}

func (p *parser) object() *apierr.Error {
	tok, err := p.dec.Token()
	if err != nil {
		return p.syntax(err, "")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return apierr.MalformedJSON()
	}
	p.seen = make(map[string]bool, 8)
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return p.syntax(err, "")
		}
		key, _ := tok.(string)
		if p.seen[key] {
			return apierr.BadValue(key, "'%s' appears more than once; send each field once.", key)
		}
		p.seen[key] = true
		if key == "requests" {
			if e := p.requests(); e != nil {
				return e
			}
			continue
		}
		if err := p.dec.Decode(&p.raw); err != nil {
			return p.syntax(err, "'"+key+"'")
		}
		if e := p.member(key, gjson.ParseBytes(p.raw)); e != nil {
			return e
		}
	}
	if _, err := p.dec.Token(); err != nil {
		return p.syntax(err, "")
	}
	return nil
}

// member records one top-level member other than requests.
func (p *parser) member(key string, v gjson.Result) *apierr.Error {
	if v.Type == gjson.Null {
		return nil
	}
	h := p.h
	str := func(dst *string, has *bool) *apierr.Error {
		if v.Type != gjson.String {
			return apierr.WrongType(key, "a string")
		}
		*dst, *has = v.Str, true
		return nil
	}
	switch key {
	case "endpoint":
		return str(&h.endpoint, &h.hasEndpoint)
	case "label":
		return str(&h.label, &h.hasLabel)
	case "completion_window":
		return str(&h.window, &h.hasWindow)
	case "input_file_id":
		return str(&h.inputFileID, &h.hasInputFile)
	case "metadata":
		if !v.IsObject() {
			return apierr.WrongType("metadata", "an object of string keys and string values")
		}
		h.metadata = append([]byte(nil), v.Raw...)
	case "output_expires_after":
		h.hasExpiry = true
	default:
		return apierr.Unknown(key)
	}
	return nil
}

func (p *parser) requests() *apierr.Error {
	tok, err := p.dec.Token()
	if err != nil {
		return p.syntax(err, "'requests'")
	}
	if tok == nil { // null
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return apierr.WrongType("requests", "an array of {custom_id, params} objects")
	}
	p.h.hasRequests = true
	for i := 0; p.dec.More(); i++ {
		if i >= p.lim.maxItems {
			return apierr.BadValue("requests", "A batch holds at most %d requests.", p.lim.maxItems)
		}
		where := "requests[" + strconv.Itoa(i) + "]"
		if err := p.dec.Decode(&p.raw); err != nil {
			return p.syntax(err, where)
		}
		cid, params, e := readItem(p.raw, where)
		if e != nil {
			return e
		}
		if e := p.onItem(p.h, i, cid, params); e != nil {
			return e
		}
		p.h.items = i + 1
	}
	if _, err := p.dec.Token(); err != nil {
		return p.syntax(err, "'requests'")
	}
	return nil
}

// readItem checks one {custom_id, params} element. params aliases raw.
func readItem(raw []byte, where string) (string, []byte, *apierr.Error) {
	v := gjson.ParseBytes(raw)
	if !v.IsObject() {
		return "", nil, apierr.WrongType(where, "an object {custom_id, params}")
	}
	var cid, params gjson.Result
	var e *apierr.Error
	v.ForEach(func(k, val gjson.Result) bool {
		var dst *gjson.Result
		switch k.Str {
		case "custom_id":
			dst = &cid
		case "params":
			dst = &params
		default:
			e = apierr.Unknown(where + "." + k.Str)
			return false
		}
		if dst.Exists() {
			e = apierr.BadValue(where+"."+k.Str, "'%s.%s' appears more than once; send each field once.", where, k.Str)
			return false
		}
		*dst = val
		return true
	})
	if e != nil {
		return "", nil, e
	}
	switch {
	case !cid.Exists() || cid.Type == gjson.Null:
		return "", nil, apierr.Missing(where + ".custom_id")
	case cid.Type != gjson.String:
		return "", nil, apierr.WrongType(where+".custom_id", "a string")
	case cid.Str == "":
		return "", nil, apierr.BadValue(where+".custom_id", "custom_id must not be empty.")
	case len(cid.Str) > maxCustomID:
		return "", nil, apierr.BadValue(where+".custom_id", "custom_id is at most %d bytes long.", maxCustomID)
	case !params.Exists() || params.Type == gjson.Null:
		return "", nil, apierr.Missing(where + ".params")
	case !params.IsObject():
		return "", nil, apierr.WrongType(where+".params", "an object (a request body for the batch's endpoint)")
	}
	start := params.Index
	if start <= 0 || start+len(params.Raw) > len(raw) {
		return cid.Str, []byte(params.Raw), nil
	}
	return cid.Str, raw[start : start+len(params.Raw)], nil
}
