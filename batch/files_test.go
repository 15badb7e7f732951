package batch

import (
	"strconv"
	"strings"
	"testing"
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
