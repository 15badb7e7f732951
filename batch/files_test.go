package batch

import (
	"bytes"
	"mime/multipart"
	"strconv"
	"strings"
	"testing"

	"sailshim/store"
)

func TestUploadLineValidation(t *testing.T) {
	good := `{"custom_id":"a","method":"POST","url":"/v1/responses","body":{"model":"sim-1","input":"x"}}`
	line := func(s string) string { return good + "\n" + s + "\n" } // the bad line is line 2
	cases := []struct {
		name    string
		content string
		status  int
		param   string
		line    string // "Line N" the message must start with ("" when not about a line)
	}{
		{"ok", jsonlFile(3, nil), 200, "", ""},
		{"blank lines and CRLF", good + "\r\n\r\n" + strings.Replace(good, `"a"`, `"b"`, 1) + "\r\n", 200, "", ""},
		{"no trailing newline", strings.TrimSuffix(jsonlFile(2, nil), "\n"), 200, "", ""},
		{"not JSON", line(`{"custom_id":`), 400, "", "Line 2"},
		{"not an object", line(`[1,2]`), 400, "", "Line 2"},
		{"custom_id missing", line(`{"method":"POST","url":"/v1/responses","body":{"model":"sim-1","input":"x"}}`), 400, "custom_id", "Line 2"},
		{"custom_id duplicate", line(good), 400, "custom_id", "Line 2"},
		{"method GET", line(`{"custom_id":"b","method":"GET","url":"/v1/responses","body":{"model":"sim-1","input":"x"}}`), 400, "method", "Line 2"},
		{"method missing", line(`{"custom_id":"b","url":"/v1/responses","body":{"model":"sim-1","input":"x"}}`), 400, "method", "Line 2"},
		{"url missing", line(`{"custom_id":"b","method":"POST","body":{"model":"sim-1","input":"x"}}`), 400, "url", "Line 2"},
		{"url embeddings", line(`{"custom_id":"b","method":"POST","url":"/v1/embeddings","body":{"model":"sim-1","input":"x"}}`), 400, "url", "Line 2"},
		{"body missing", line(`{"custom_id":"b","method":"POST","url":"/v1/responses"}`), 400, "body", "Line 2"},
		{"body a string", line(`{"custom_id":"b","method":"POST","url":"/v1/responses","body":"{}"}`), 400, "body", "Line 2"},
		{"unknown field", line(`{"custom_id":"b","method":"POST","url":"/v1/responses","body":{"model":"sim-1","input":"x"},"extra":1}`), 400, "extra", "Line 2"},
		{"stream in body", line(`{"custom_id":"b","method":"POST","url":"/v1/responses","body":{"model":"sim-1","input":"x","stream":true}}`), 400, "body.stream", "Line 2"},
		{"asap in body", line(`{"custom_id":"b","method":"POST","url":"/v1/responses","body":{"model":"sim-1","input":"x","metadata":{"completion_window":"asap"}}}`), 400, "body.metadata.completion_window", "Line 2"},
		{"unknown model", line(`{"custom_id":"b","method":"POST","url":"/v1/responses","body":{"model":"gpt-9","input":"x"}}`), 400, "body.model", "Line 2"},
		{"line numbers count blank lines", good + "\n\n\n[]\n", 400, "", "Line 4"},
		{"too many lines", jsonlFile(11, nil), 400, "file", ""},
		{"empty file", "\n\n", 400, "file", ""},
		{"line too long", line(`{"custom_id":"b","method":"POST","url":"/v1/responses","body":{"model":"sim-1","input":"` + strings.Repeat("x", 5000) + `"}}`), 413, "file", "Line 2"},
	}
	e := newEnv(t, Config{MaxItems: 10, MaxItemBytes: 4096})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.upload(c.content)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if c.status == 200 {
				if !strings.HasPrefix(r.str("id"), "file-") || r.str("purpose") != "batch" || r.str("bytes") != strconv.Itoa(len(c.content)) {
					t.Fatalf("file object: %s", r.body)
				}
				return
			}
			param, _, msg := errParam(t, r)
			if param != c.param || !strings.HasPrefix(msg, c.line) {
				t.Fatalf("param %q message %q; want %q and a message starting %q", param, msg, c.param, c.line)
			}
		})
	}
	if n := e.kvCount(nsItems, ""); n != 0 {
		t.Fatalf("uploads stored %d item entries", n)
	}
}

func TestUploadForm(t *testing.T) {
	e := newEnv(t, Config{})
	cases := []struct {
		name   string
		ctype  string
		body   string
		status int
		param  string
	}{
		{"not multipart", "application/json", `{}`, 400, ""},
		{"no file", "multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--X--\r\n", 400, "file"},
		{"no purpose", "multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\n\r\n" + jsonlFile(1, nil) + "\r\n--X--\r\n", 400, "purpose"},
		{"purpose fine-tune", "multipart/form-data; boundary=X", "--X\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jsonl\"\r\n\r\n" + jsonlFile(1, nil) + "\r\n--X--\r\n", 400, "purpose"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("POST", "/v1/files", c.body, "Content-Type", c.ctype)
			if r.status != c.status {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if p, _, _ := errParam(t, r); p != c.param {
				t.Fatalf("param %q, want %q", p, c.param)
			}
		})
	}
}

func TestFilesAPI(t *testing.T) {
	e := newEnv(t, Config{})
	content := jsonlFile(2, nil)
	up := e.upload(content)
	id := up.str("id")
	if up.status != 200 {
		t.Fatalf("%d %s", up.status, up.body)
	}
	if g := e.call("GET", "/v1/files/"+id, ""); g.status != 200 || string(g.body) != string(up.body) {
		t.Fatalf("get: %d %s", g.status, g.body)
	}
	if c := e.call("GET", "/v1/files/"+id+"/content", ""); c.status != 200 || string(c.body) != content {
		t.Fatalf("content: %d %q", c.status, c.body)
	}
	second := e.upload(content).str("id")
	l := e.call("GET", "/v1/files", "")
	if l.str("object") != "list" || l.str("data.0.id") != second || l.str("data.1.id") != id || l.str("has_more") != "false" {
		t.Fatalf("list: %s", l.body)
	}
	if l := e.call("GET", "/v1/files?limit=1", ""); l.str("data.#") != "1" || l.str("has_more") != "true" {
		t.Fatalf("list limit 1: %s", l.body)
	}
	if l := e.call("GET", "/v1/files?order=asc&limit=1", ""); l.str("data.0.id") != id {
		t.Fatalf("list asc: %s", l.body)
	}
	if l := e.call("GET", "/v1/files?after="+second, ""); l.str("data.#") != "1" || l.str("data.0.id") != id {
		t.Fatalf("list after: %s", l.body)
	}
	for _, p := range []string{"/v1/files/" + id, "/v1/files/" + id + "/content"} {
		if r := e.callAs(other, "GET", p, ""); r.status != 404 {
			t.Fatalf("%s as another key: %d", p, r.status)
		}
	}
	if r := e.callAs(other, "DELETE", "/v1/files/"+id, ""); r.status != 404 {
		t.Fatalf("delete as another key: %d", r.status)
	}
	if l := e.callAs(other, "GET", "/v1/files", ""); l.str("data.#") != "0" {
		t.Fatalf("another key lists: %s", l.body)
	}
	for _, bad := range []string{"file-..", "file-", "nope", "file-ABC"} {
		if r := e.call("GET", "/v1/files/"+bad, ""); r.status != 404 {
			t.Fatalf("%s: %d", bad, r.status)
		}
	}
	if d := e.call("DELETE", "/v1/files/"+id, ""); d.status != 200 || d.str("deleted") != "true" {
		t.Fatalf("delete: %d %s", d.status, d.body)
	}
	if r := e.call("GET", "/v1/files/"+id+"/content", ""); r.status != 404 {
		t.Fatalf("content after delete: %d", r.status)
	}
	if l := e.call("GET", "/v1/files", ""); l.str("data.#") != "1" {
		t.Fatalf("list after delete: %s", l.body)
	}
}

func TestCreateFromFileValidation(t *testing.T) {
	e := newEnv(t, Config{})
	fid := e.upload(jsonlFile(2, nil)).str("id")
	chatFile := e.upload(`{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"sim-1","messages":[{"role":"user","content":"x"}]}}` + "\n").str("id")
	cases := []struct {
		name   string
		body   string
		status int
		param  string
	}{
		{"ok", `{"input_file_id":"` + fid + `","endpoint":"/v1/responses","completion_window":"24h"}`, 200, ""},
		{"15m window", `{"input_file_id":"` + fid + `","endpoint":"/v1/responses","completion_window":"15m"}`, 200, ""},
		{"asap window", `{"input_file_id":"` + fid + `","endpoint":"/v1/responses","completion_window":"asap"}`, 400, "completion_window"},
		{"window missing", `{"input_file_id":"` + fid + `","endpoint":"/v1/responses"}`, 400, "completion_window"},
		{"endpoint missing", `{"input_file_id":"` + fid + `","completion_window":"24h"}`, 400, "endpoint"},
		{"endpoint embeddings", `{"input_file_id":"` + fid + `","endpoint":"/v1/embeddings","completion_window":"24h"}`, 400, "endpoint"},
		{"unknown file", `{"input_file_id":"file-0123","endpoint":"/v1/responses","completion_window":"24h"}`, 404, "input_file_id"},
		{"label is Sail's", `{"input_file_id":"` + fid + `","endpoint":"/v1/responses","completion_window":"24h","label":"x"}`, 400, "label"},
		{"output_expires_after", `{"input_file_id":"` + fid + `","endpoint":"/v1/responses","completion_window":"24h","output_expires_after":{"anchor":"created_at","seconds":3600}}`, 400, "output_expires_after"},
		{"metadata window differs", `{"input_file_id":"` + fid + `","endpoint":"/v1/responses","completion_window":"24h","metadata":{"completion_window":"15m"}}`, 400, "metadata.completion_window"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("POST", "/v1/batches", c.body)
			if r.status != c.status {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if c.status == 200 {
				e.wait(r.str("id"))
				return
			}
			if p, _, _ := errParam(t, r); p != c.param {
				t.Fatalf("param %q, want %q: %s", p, c.param, r.body)
			}
		})
	}
	// Lines whose url differs from the batch's endpoint fail the batch, naming the line, as
	// OpenAI's validation does.
	c := e.call("POST", "/v1/batches", `{"input_file_id":"`+chatFile+`","endpoint":"/v1/responses","completion_window":"24h"}`)
	if c.status != 200 || c.str("status") != "validating" {
		t.Fatalf("mismatched endpoint: %d %s", c.status, c.body)
	}
	e.wait(c.str("id"))
	r := e.call("GET", "/v1/batches/"+c.str("id"), "")
	if r.str("status") != "failed" || r.str("failed_at") == "" || r.str("errors.data.0.line") != "1" || r.str("errors.data.0.param") != "url" {
		t.Fatalf("mismatched endpoint: %s", r.body)
	}
	if n := e.kvCount(nsItems, r.str("id")+"/"); n != 0 {
		t.Fatalf("a failed batch kept %d item entries", n)
	}
	if r := e.callAs(other, "POST", "/v1/batches", `{"input_file_id":"`+fid+`","endpoint":"/v1/responses","completion_window":"24h"}`); r.status != 404 {
		t.Fatalf("another key's file: %d %s", r.status, r.body)
	}
}

// uploadAs posts content as a multipart file named filename, with a fresh boundary each time
// (as every client does, retries included).
func (e *env) uploadAs(who, content, filename string, hdr ...string) reply {
	e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("purpose", "batch")
	fw, _ := w.CreateFormFile("file", filename)
	_, _ = fw.Write([]byte(content))
	_ = w.Close()
	return e.callAs(who, "POST", "/v1/files", b.String(), append([]string{"Content-Type", w.FormDataContentType()}, hdr...)...)
}

func TestUploadIdempotency(t *testing.T) {
	e := newEnv(t, Config{})
	a, b := jsonlFile(2, nil), jsonlFile(3, nil)
	key := func(k string) []string { return []string{"Idempotency-Key", k} }

	first := e.uploadAs(owner, a, "in.jsonl", key("k1")...)
	if first.status != 200 {
		t.Fatalf("first upload: %d %s", first.status, first.body)
	}
	id := first.str("id")
	again := e.uploadAs(owner, a, "in.jsonl", key("k1")...)
	if again.status != 200 || again.str("id") != id || again.header["Idempotent-Replayed"] != "true" {
		t.Fatalf("retry: %d %s %v", again.status, again.body, again.header)
	}
	if l := e.call("GET", "/v1/files", ""); l.str("data.#") != "1" {
		t.Fatalf("a retried upload stored a second file: %s", l.body)
	}

	refused := []struct {
		name, content, filename, key string
		status                       int
	}{
		{"other content", b, "in.jsonl", "k1", 400},
		{"other filename", a, "other.jsonl", "k1", 400},
		{"key too long", a, "in.jsonl", strings.Repeat("k", 256), 400},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			r := e.uploadAs(owner, c.content, c.filename, key(c.key)...)
			if p, code, _ := errParam(t, r); r.status != c.status || p != "Idempotency-Key" || code != "idempotency_error" {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}

	t.Run("a refused upload does not use the key", func(t *testing.T) {
		bad := e.uploadAs(owner, "{not json\n", "in.jsonl", key("k2")...)
		if bad.status != 400 {
			t.Fatalf("bad file: %d %s", bad.status, bad.body)
		}
		if r := e.uploadAs(owner, b, "in.jsonl", key("k2")...); r.status != 200 || r.header["Idempotent-Replayed"] != "" {
			t.Fatalf("good file after a bad one: %d %s", r.status, r.body)
		}
	})
	t.Run("keys are per API key", func(t *testing.T) {
		r := e.uploadAs(other, a, "in.jsonl", key("k1")...)
		if r.status != 200 || r.str("id") == id {
			t.Fatalf("another key's upload: %d %s", r.status, r.body)
		}
	})
	t.Run("after a restart", func(t *testing.T) {
		_ = e.s.Close()
		_ = e.st.Close()
		st, err := store.Open(store.Config{Dir: e.dir + "/store"})
		if err != nil {
			t.Fatal(err)
		}
		e.t.Cleanup(func() { _ = st.Close() }) // the test's, not this subtest's: later ones use it
		e.st = st
		e.start(newFakeExec(st), Config{})
		if r := e.uploadAs(owner, a, "in.jsonl", key("k1")...); r.str("id") != id {
			t.Fatalf("retry after a restart: %d %s", r.status, r.body)
		}
	})
	t.Run("after the file is deleted", func(t *testing.T) {
		if d := e.call("DELETE", "/v1/files/"+id, ""); d.status != 200 {
			t.Fatalf("delete: %d %s", d.status, d.body)
		}
		r := e.uploadAs(owner, a, "in.jsonl", key("k1")...)
		if _, code, msg := errParam(t, r); r.status != 400 || code != "idempotency_error" || !strings.Contains(msg, "deleted") {
			t.Fatalf("retry after delete: %d %s", r.status, r.body)
		}
	})
}
