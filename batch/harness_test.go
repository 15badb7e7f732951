package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"

	"sailshim/apierr"
	"sailshim/policy"
	"sailshim/rules"
	"sailshim/store"
)

const (
	owner = "key-a"
	other = "key-b"
)

// fakeExec stands in for the edge: it counts runs per object id, stores a small response object
// like the real Executor does, and can hold items (hold) or fail them (fail) by their body.
type fakeExec struct {
	st *store.Store

	mu       sync.Mutex
	runs     map[string]int // object id → Execute calls that reached a reply
	finished map[string]string

	hold      func(body []byte) bool // items that wait for release (or for ctx to end)
	release   chan struct{}
	fail      func(body []byte) *apierr.Error
	completed chan string // object ids, as each item completes (buffered; may be nil)
	started   chan string // object ids of held items, as they start waiting (may be nil)
}

func newFakeExec(st *store.Store) *fakeExec {
	return &fakeExec{st: st, runs: map[string]int{}, finished: map[string]string{}, release: make(chan struct{})}
}

func (f *fakeExec) Execute(ctx context.Context, owner, surface, id string, body []byte, w policy.Window, created, deadline time.Time) ([]byte, string, *apierr.Error) {
	if f.hold != nil && f.hold(body) {
		if f.started != nil {
			f.started <- id
		}
		select {
		case <-f.release:
		case <-ctx.Done():
			return nil, "", apierr.Unavailable(1, "stopped")
		}
	}
	if f.fail != nil {
		if e := f.fail(body); e != nil {
			return nil, "", e
		}
	}
	obj := f.object(surface, id, body, "completed")
	if err := f.st.Put(&store.Record{ID: id, Owner: owner, Surface: surface, Status: "completed", Object: obj}, true); err != nil {
		return nil, "", apierr.Internal("store: %v", err)
	}
	f.mu.Lock()
	f.runs[id]++
	f.mu.Unlock()
	if f.completed != nil {
		f.completed <- id
	}
	return obj, "completed", nil
}

func (f *fakeExec) Finish(owner, surface, id string, body []byte, w policy.Window, created, deadline time.Time, status string, e *apierr.Error) []byte {
	obj := f.object(surface, id, body, status)
	_ = f.st.Put(&store.Record{ID: id, Owner: owner, Surface: surface, Status: status, Object: obj}, false)
	f.mu.Lock()
	f.finished[id] = status
	f.mu.Unlock()
	return obj
}

func (f *fakeExec) Placeholder(surface, id string, body []byte, created time.Time, status string, e *apierr.Error) []byte {
	return f.object(surface, id, body, status)
}

func (f *fakeExec) object(surface, id string, body []byte, status string) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"object":"response","status":%q,"model":%q,"input":%q}`,
		id, status, gjson.GetBytes(body, "model").Str, gjson.GetBytes(body, "input").Str))
}

func (f *fakeExec) runCount(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runs[id]
}

// models serves sim-1 only.
type models struct{}

func (models) Serves(m string) bool { return m == "sim-1" }

// env is a Service on a real store in a temporary directory.
type env struct {
	t    testing.TB
	dir  string
	st   *store.Store
	exec *fakeExec
	s    *Service
}

func newEnv(t testing.TB, cfg Config) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(store.Config{Dir: dir + "/store"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := &env{t: t, dir: dir, st: st}
	e.start(newFakeExec(st), cfg)
	return e
}

// start builds and starts a Service on e's store (again, after stop, to model a restart).
func (e *env) start(exec *fakeExec, cfg Config) {
	e.t.Helper()
	windows, err := policy.NewWindowTable(policy.DefaultWindows(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	if cfg.DataDir == "" {
		cfg.DataDir = e.dir
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	if cfg.Workers == 0 {
		cfg.Workers = 8
	}
	s, err := New(cfg, Deps{
		Exec: exec, Rules: rules.New(rules.Config{Windows: windows.Names(), DefaultWindow: "15m"}),
		Windows: windows, Store: e.st, Models: models{},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.exec, e.s = exec, s
	e.t.Cleanup(func() { _ = s.Close() })
}

// reply is one HTTP answer of the Service.
type reply struct {
	status int
	body   []byte
	header map[string]string
}

func (r reply) str(path string) string { return gjson.GetBytes(r.body, path).String() }

// call sends one request to the Service's routes as owner (hdr: name, value pairs).
func (e *env) call(method, uri, body string, hdr ...string) reply {
	return e.callAs(owner, method, uri, body, hdr...)
}

func (e *env) callAs(who, method, uri, body string, hdr ...string) reply {
	e.t.Helper()
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetContentType("application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		ctx.Request.Header.Set(hdr[i], hdr[i+1])
	}
	if body != "" {
		ctx.Request.SetBodyString(body)
	}
	path, _, _ := strings.Cut(uri, "?")
	if !e.s.Route(&ctx, who, strings.TrimPrefix(path, "/v1")) {
		e.t.Fatalf("%s %s: not routed", method, uri)
	}
	r := reply{status: ctx.Response.StatusCode(), body: append([]byte(nil), ctx.Response.Body()...), header: map[string]string{}}
	ctx.Response.Header.VisitAll(func(k, v []byte) { r.header[string(k)] = string(v) })
	return r
}

// upload posts a multipart file with purpose batch.
func (e *env) upload(content string) reply {
	e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("purpose", "batch")
	fw, _ := w.CreateFormFile("file", "in.jsonl")
	_, _ = fw.Write([]byte(content))
	_ = w.Close()
	return e.call("POST", "/v1/files", b.String(), "Content-Type", w.FormDataContentType())
}

// wait blocks until batch id is no longer running in this process.
func (e *env) wait(id string) {
	e.t.Helper()
	e.s.mu.Lock()
	r := e.s.runs[id]
	e.s.mu.Unlock()
	if r == nil {
		return
	}
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		e.t.Fatalf("batch %s did not finish in 30s", id)
	}
}

// errParam decodes an error envelope's param and code.
func errParam(t *testing.T, r reply) (param, code, msg string) {
	t.Helper()
	var env struct {
		Error struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Param   *string `json:"param"`
			Code    *string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.body, &env); err != nil || env.Error.Message == "" || env.Error.Type == "" {
		t.Fatalf("not an error envelope (%d): %s", r.status, r.body)
	}
	if env.Error.Param != nil {
		param = *env.Error.Param
	}
	if env.Error.Code != nil {
		code = *env.Error.Code
	}
	return param, code, env.Error.Message
}

// sailBody builds a Sail batch body: n items, params from item(i) (nil: a plain request).
func sailBody(endpoint, extra string, n int, item func(i int) string) string {
	var b strings.Builder
	b.WriteString(`{"endpoint":"` + endpoint + `"` + extra + `,"requests":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		p := `{"model":"sim-1","input":"item ` + strconv.Itoa(i) + `"}`
		if item != nil {
			p = item(i)
		}
		fmt.Fprintf(&b, `{"custom_id":"c%d","params":%s}`, i, p)
	}
	b.WriteString("]}")
	return b.String()
}

// jsonlFile builds an input file of n /v1/responses lines, line i from line(i) when given.
func jsonlFile(n int, line func(i int) string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if line != nil {
			b.WriteString(line(i))
		} else {
			fmt.Fprintf(&b, `{"custom_id":"r%d","method":"POST","url":"/v1/responses","body":{"model":"sim-1","input":"line %d"}}`, i, i)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// kvCount counts the KV entries of ns under prefix.
func (e *env) kvCount(ns, prefix string) int {
	n := 0
	_ = e.st.KVScan(ns, prefix, func(string, []byte) bool { n++; return true })
	return n
}
