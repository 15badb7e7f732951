package batch

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"sailshim/webhook"
)

func TestListPaging(t *testing.T) {
	e := newEnv(t, Config{})
	const n = 7
	ids := make([]string, n) // ids[0] is the oldest
	for i := range ids {
		ids[i] = e.call("POST", "/v1/batches", sailBody("/v1/responses", "", 1, nil)).str("id")
		e.wait(ids[i])
	}
	fid := e.upload(jsonlFile(1, nil)).str("id")
	openai := e.call("POST", "/v1/batches", `{"input_file_id":"`+fid+`","endpoint":"/v1/responses","completion_window":"24h"}`).str("id")
	e.wait(openai)
	newest := func(idx ...int) []string {
		out := []string{}
		for _, i := range idx {
			out = append(out, ids[i])
		}
		return out
	}
	cases := []struct {
		name  string
		query string
		want  []string // nil: an error naming param
		param string
	}{
		{"default", "", newest(6, 5, 4, 3, 2, 1, 0), ""},
		{"limit 3", "?limit=3", newest(6, 5, 4), ""},
		{"limit 1", "?limit=1", newest(6), ""},
		{"limit 200", "?limit=200", newest(6, 5, 4, 3, 2, 1, 0), ""},
		{"after_id", "?after_id=" + ids[4] + "&limit=2", newest(3, 2), ""},
		{"after_id to the end", "?after_id=" + ids[2], newest(1, 0), ""},
		{"after_id oldest", "?after_id=" + ids[0], newest(), ""},
		{"before_id", "?before_id=" + ids[2] + "&limit=2", newest(4, 3), ""},
		{"before_id all newer", "?before_id=" + ids[2], newest(6, 5, 4, 3), ""},
		{"before_id newest", "?before_id=" + ids[6], newest(), ""},
		{"after_id unknown", "?after_id=batch_nope", newest(), ""},
		{"limit 0", "?limit=0", nil, "limit"},
		{"limit 201", "?limit=201", nil, "limit"},
		{"limit -1", "?limit=-1", nil, "limit"},
		{"limit text", "?limit=ten", nil, "limit"},
		{"after_id and before_id", "?after_id=" + ids[1] + "&before_id=" + ids[3], nil, "before_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("GET", "/v1/batches"+c.query, "")
			if c.want == nil {
				if p, _, _ := errParam(t, r); r.status != 400 || p != c.param {
					t.Fatalf("%d param %q: %s", r.status, p, r.body)
				}
				return
			}
			var got []string
			for _, b := range gjson.ParseBytes(r.body).Array() {
				got = append(got, b.Get("id").Str)
				if b.Get("request_status").Exists() {
					t.Fatalf("the list carries request_status: %s", r.body)
				}
			}
			if r.status != 200 || strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Fatalf("%d got %v\nwant %v", r.status, got, c.want)
			}
		})
	}
	if r := e.callAs(other, "GET", "/v1/batches", ""); string(r.body) != "[]" {
		t.Fatalf("another key's list: %s", r.body)
	}
	// OpenAI's SDKs get OpenAI's list object, holding the file-based batches.
	r := e.call("GET", "/v1/batches?limit=5", "", "X-Stainless-Lang", "go")
	if r.str("object") != "list" || r.str("data.#") != "1" || r.str("data.0.id") != openai || r.str("has_more") != "false" {
		t.Fatalf("OpenAI list: %s", r.body)
	}
}

type fakeHooks struct{ got []webhook.Delivery }

func (f *fakeHooks) Enqueue(d webhook.Delivery) error {
	f.got = append(f.got, d)
	return nil
}

func TestBatchWebhook(t *testing.T) {
	e := newEnv(t, Config{})
	hooks := &fakeHooks{}
	e.s.d.Webhooks = hooks
	id := e.call("POST", "/v1/batches", sailBody("/v1/responses",
		`,"metadata":{"completion_webhook":"https://hooks.example/done","webhook_token":"tok"}`, 2, nil)).str("id")
	e.wait(id)
	bad := e.call("POST", "/v1/batches", sailBody("/v1/responses", `,"metadata":{"completion_webhook":"ftp://x"}`, 1, nil))
	if bad.status != 200 {
		t.Fatalf("an invalid webhook URL must not refuse the batch: %s", bad.body)
	}
	e.wait(bad.str("id"))
	if len(hooks.got) != 1 {
		t.Fatalf("%d deliveries", len(hooks.got))
	}
	d := hooks.got[0]
	get := e.call("GET", "/v1/batches/"+id, "")
	if d.URL != "https://hooks.example/done" || d.Token != "tok" || string(d.Body) != string(get.body) {
		t.Fatalf("delivery %+v\nGET %s", d, get.body)
	}
	// OpenAI's shape: the webhook carries the finished batch object, output file and all.
	fid := e.upload(jsonlFile(2, nil)).str("id")
	oid := e.call("POST", "/v1/batches", `{"input_file_id":"`+fid+`","endpoint":"/v1/responses","completion_window":"24h","metadata":{"completion_webhook":"https://hooks.example/oa"}}`).str("id")
	e.wait(oid)
	if len(hooks.got) != 2 {
		t.Fatalf("%d deliveries", len(hooks.got))
	}
	get = e.call("GET", "/v1/batches/"+oid, "")
	if d := hooks.got[1]; d.URL != "https://hooks.example/oa" || string(d.Body) != string(get.body) || get.str("output_file_id") == "" {
		t.Fatalf("delivery %+v\nGET %s", d, get.body)
	}
}
