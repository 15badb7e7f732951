package batch

import (
	"encoding/binary"
	"hash/maphash"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
	"sailshim/policy"
	"sailshim/rules"
	"sailshim/webhook"
)

// ingest writes a batch's items to the store as they are parsed, so only one item is in memory
// at a time; per item it keeps 24 bytes (custom_id digest and index) for the uniqueness check.
// Nothing is visible until commit; abort removes what was written.
type ingest struct {
	s        *Service
	id       string
	owner    string
	where    func(i int) string // "requests[3]", "Line 4"
	surface  rules.Surface
	resolved bool // surface known: items are validated as they arrive
	deferred bool // items stored before the endpoint was parsed: validated after
	n        int
	seen     map[[2]uint64]uint32
	seeds    [2]maphash.Seed
	marked   bool
	kbuf     []byte
	vbuf     []byte
	rq       rules.Request
	failed   bool // a store write failed
}

func (s *Service) newIngest(owner string, where func(int) string) *ingest {
	return &ingest{
		s: s, id: newID("batch_"), owner: owner, where: where,
		seen:  make(map[[2]uint64]uint32, 1024),
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
	}
}

func sailWhere(i int) string { return "requests[" + strconv.Itoa(i) + "]" }

// surfaceFor maps a batch endpoint to the surface its items are validated and run as.
func surfaceFor(endpoint string) (rules.Surface, bool) {
	switch endpoint {
	case "/v1/responses":
		return rules.Responses, true
	case "/v1/chat/completions":
		return rules.Chat, true
	case "/v1/messages":
		return rules.Messages, true
	}
	return "", false
}

func badEndpoint(param, endpoint string) *apierr.Error {
	return apierr.BadValue(param, "Unsupported endpoint %q: use \"/v1/responses\" (or, as extensions, \"/v1/chat/completions\" or \"/v1/messages\").", endpoint)
}

// item takes one parsed item: uniqueness, validation when the endpoint is known, storage.
func (in *ingest) item(h *head, i int, customID string, params []byte) *apierr.Error {
	if e := in.unique(i, customID, "custom_id"); e != nil {
		return e
	}
	if !in.resolved && h.hasEndpoint {
		sf, ok := surfaceFor(h.endpoint)
		if !ok {
			return badEndpoint("endpoint", h.endpoint)
		}
		in.surface, in.resolved = sf, true
	}
	window := ""
	if in.resolved {
		w, e := in.validate(i, params, in.where(i)+".params")
		if e != nil {
			return e
		}
		window = w
	} else {
		in.deferred = true
	}
	return in.store(uint32(i), customID, window, params)
}

// unique refuses a custom_id seen before in this batch. A 128-bit digest stands in for the
// string, so 100,000 ids cost a few megabytes, not the ids themselves.
func (in *ingest) unique(i int, customID, field string) *apierr.Error {
	k := [2]uint64{maphash.String(in.seeds[0], customID), maphash.String(in.seeds[1], customID)}
	if prev, dup := in.seen[k]; dup {
		return apierr.New(400, apierr.TypeInvalidRequest, in.param(i, field), "duplicate_custom_id",
			"%s: custom_id %q is already used by %s; custom_id must be unique within a batch.",
			in.where(i), customID, in.where(int(prev)))
	}
	in.seen[k] = uint32(i)
	return nil
}

// param names a field of item i: "requests[3].custom_id", or just "custom_id" for file lines
// (whose message names the line).
func (in *ingest) param(i int, field string) string {
	w := in.where(i)
	if w != "" && w[len(w)-1] == ']' {
		return w + "." + field
	}
	return field
}

// validate checks one item's body against the matrix, the served models and the batch window
// rules, and returns the window the item names ("" when none). Errors name the item: param is
// prefix plus the field's own path.
func (in *ingest) validate(i int, params []byte, prefix string) (string, *apierr.Error) {
	s := in.s
	if e := s.d.Rules.Validate(in.surface, params, &in.rq); e != nil {
		return "", in.itemErr(i, prefix, e)
	}
	if s.d.Models != nil && !s.d.Models.Serves(in.rq.Model) {
		return "", in.itemErr(i, prefix, apierr.New(400, apierr.TypeInvalidRequest, "model", "model_not_found",
			"The model '%s' does not exist or is not served by any upstream.", in.rq.Model))
	}
	named := gjson.GetBytes(params, "metadata.completion_window")
	name := ""
	if named.Type == gjson.String {
		name = named.Str
	}
	if _, e := s.d.Windows.Admit(name, in.rq.Background, true); e != nil {
		return "", in.itemErr(i, prefix, e)
	}
	return name, nil
}

// itemErr re-homes an item's validation error under the item's path.
func (in *ingest) itemErr(i int, prefix string, e *apierr.Error) *apierr.Error {
	c := *e
	c.Param = prefix
	if prefix == "" {
		c.Param = e.Param
	} else if e.Param != "" {
		c.Param = prefix + "." + e.Param
	}
	c.Message = in.where(i) + ": " + e.Message
	if c.Status != 400 && c.Status < 500 {
		c.Status = 400
	}
	return &c
}

// store writes item idx: body, compact state and custom_id index. The writes are not synced one
// by one: commit's durable write flushes the WAL they precede.
func (in *ingest) store(idx uint32, customID, window string, params []byte) *apierr.Error {
	st := in.s.d.Store
	if !in.marked {
		if err := st.KVPut(nsIngest, in.id, []byte{1}, false); err != nil {
			return in.storeErr(err)
		}
		in.marked = true
	}
	in.kbuf = paramsKey(in.kbuf, in.id, idx)
	if err := st.KVPut(nsItems, string(in.kbuf), params, false); err != nil {
		return in.storeErr(err)
	}
	in.kbuf = stateKey(in.kbuf, in.id, idx)
	in.vbuf = (&itemState{status: itemPending, window: window, customID: customID}).append(in.vbuf[:0])
	if err := st.KVPut(nsItems, string(in.kbuf), in.vbuf, false); err != nil {
		return in.storeErr(err)
	}
	var ib [4]byte
	binary.BigEndian.PutUint32(ib[:], idx)
	if err := st.KVPut(nsItems, customKey(in.id, customID), ib[:], false); err != nil {
		return in.storeErr(err)
	}
	in.n = int(idx) + 1
	return nil
}

func (in *ingest) storeErr(err error) *apierr.Error {
	in.failed = true
	in.s.log.Error("batch: storing an item failed", "batch_id", in.id, "err", err)
	return apierr.Internal("The batch could not be stored; nothing was queued. Retry later.")
}

// revalidate is the second pass for items stored before the endpoint was known.
func (in *ingest) revalidate() *apierr.Error {
	var fail *apierr.Error
	prefix := in.id + "/p/"
	err := in.s.d.Store.KVScan(nsItems, prefix, func(key string, val []byte) bool {
		idx, ok := idxOf(key)
		if !ok {
			return true
		}
		window, e := in.validate(int(idx), val, in.where(int(idx))+".params")
		if e != nil {
			fail = e
			return false
		}
		if window == "" {
			return true
		}
		sk := stateKey(nil, in.id, idx)
		b, gerr := in.s.d.Store.KVGet(nsItems, string(sk))
		var st itemState
		if gerr == nil {
			gerr = decodeItem(b, &st)
		}
		if gerr == nil {
			st.window = window
			gerr = in.s.d.Store.KVPut(nsItems, string(sk), st.append(nil), false)
		}
		if gerr != nil {
			fail = in.storeErr(gerr)
			return false
		}
		return true
	})
	if err != nil && fail == nil {
		fail = in.storeErr(err)
	}
	return fail
}

// abort removes everything the ingest wrote.
func (in *ingest) abort() {
	if in.marked {
		in.s.dropItems(in.id)
		_ = in.s.d.Store.KVDelete(nsIngest, in.id, false)
		in.marked = false
	}
}

// dropItems deletes every KV entry of batch id (items, bodies, custom_id index).
func (s *Service) dropItems(id string) {
	err := s.d.Store.KVScan(nsItems, id+"/", func(key string, _ []byte) bool {
		return s.d.Store.KVDelete(nsItems, key, false) == nil
	})
	if err != nil {
		s.log.Error("batch: removing a refused batch's items failed", "batch_id", id, "err", err)
	}
}

// cleanIngests removes batches a crash interrupted mid-ingestion. A batch whose record exists
// was committed (only its marker's removal was lost) and is kept.
func (s *Service) cleanIngests() {
	var ids []string
	_ = s.d.Store.KVScan(nsIngest, "", func(key string, _ []byte) bool {
		ids = append(ids, key)
		return true
	})
	for _, id := range ids {
		if _, err := s.d.Store.Get(id); err != nil {
			s.log.Warn("batch: removing a batch whose upload was interrupted", "batch_id", id)
			s.dropItems(id)
		}
		_ = s.d.Store.KVDelete(nsIngest, id, false)
	}
}

// checkLabel applies Sail's label rule: letters, digits, '-' and '_', at most 128 characters.
func checkLabel(l string) *apierr.Error {
	ok := l != "" && len(l) <= 128
	for i := 0; ok && i < len(l); i++ {
		c := l[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	if !ok {
		return apierr.BadValue("label", "label must be 1 to 128 characters, each a letter, a digit, '-' or '_'.")
	}
	return nil
}

// batchMeta is what a batch's own metadata asks for.
type batchMeta struct {
	webhook, token, window string
}

// checkMetadata validates a batch's metadata object like a request's: at most 16 string pairs,
// keys up to 64 characters, values up to 512. completion_window names the batch's window,
// completion_webhook the URL told when the whole batch finishes (ignored when not a valid URL).
func (s *Service) checkMetadata(raw []byte) (batchMeta, *apierr.Error) {
	var bm batchMeta
	if len(raw) == 0 {
		return bm, nil
	}
	var e *apierr.Error
	n := 0
	seen := make(map[string]bool, 4)
	gjson.ParseBytes(raw).ForEach(func(k, v gjson.Result) bool {
		p := "metadata." + k.Str
		n++
		switch {
		case n > 16:
			e = apierr.BadValue("metadata", "metadata holds at most 16 key-value pairs.")
		case seen[k.Str]:
			e = apierr.BadValue(p, "'%s' appears more than once; send each field once.", p)
		case utf8.RuneCountInString(k.Str) > 64:
			e = apierr.BadValue("metadata", "metadata keys are at most 64 characters long.")
		case v.Type != gjson.String:
			e = apierr.WrongType(p, "a string")
		case utf8.RuneCountInString(v.Str) > 512:
			e = apierr.BadValue(p, "metadata values are at most 512 characters long.")
		}
		if e != nil {
			return false
		}
		seen[k.Str] = true
		switch k.Str {
		case "completion_window":
			if _, ae := s.d.Windows.Admit(v.Str, false, true); ae != nil {
				c := *ae
				c.Param = p
				e = &c
				return false
			}
			bm.window = v.Str
		case "completion_webhook":
			if webhook.ValidURL(v.Str) {
				bm.webhook = v.Str
			}
		case "webhook_token":
			bm.token = v.Str
		}
		return true
	})
	return bm, e
}

// batchWindow resolves the window a batch's items default to and checks batch items may use it.
func (s *Service) batchWindow(name string) (policy.Window, bool) {
	if name == "" {
		w := s.d.Windows.Default()
		return w, w.BatchAllowed
	}
	w, ok := s.d.Windows.Lookup(name)
	return w, ok && w.BatchAllowed
}

// itemWindow is the window item runs at: its own, else the batch's, else the default.
func (s *Service) itemWindow(m *meta, named string) policy.Window {
	if named != "" {
		if w, ok := s.d.Windows.Lookup(named); ok && w.BatchAllowed {
			return w
		}
	}
	if w, ok := s.batchWindow(m.Window); ok {
		return w
	}
	for _, w := range s.d.Windows.Windows() {
		if w.BatchAllowed {
			return w
		}
	}
	return s.d.Windows.Default()
}

// commit makes an ingested batch visible and starts it.
func (s *Service) commit(in *ingest, m *meta) *apierr.Error {
	m.ID, m.Owner = in.id, in.owner
	now := time.Now()
	if m.Created == 0 {
		m.Created = now.UnixNano()
	}
	if m.Status == "" {
		m.Status = statusInProgress
		m.InProgressAt = now.Unix()
	}
	if err := s.d.Store.KVPut(nsIndex, indexKey(m.Owner, m.Shape, m.Created, m.ID), nil, false); err != nil {
		return in.storeErr(err)
	}
	if err := s.d.Store.Put(m.record(), true); err != nil {
		return in.storeErr(err)
	}
	if in.marked {
		_ = s.d.Store.KVDelete(nsIngest, in.id, false)
	}
	s.m.batches.WithLabelValues(shapeName(m.Shape)).Inc()
	if !m.terminal() {
		c := *m // the run owns its copy; the caller still renders m
		s.launch(&c, false)
	}
	return nil
}

func shapeName(b byte) string {
	if b == shapeOpenAI {
		return "openai"
	}
	return "sail"
}
