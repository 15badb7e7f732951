package conformance

import (
	"net/http"
	"strings"
	"testing"
)

func reply(status int, body string) *Reply {
	return &Reply{Method: "POST", Path: "/v1/x", Status: status, Header: http.Header{}, Body: []byte(body)}
}

func TestEnvelope(t *testing.T) {
	cases := []struct {
		name, body string
		ok         bool
	}{
		{"all four keys", `{"error":{"message":"m","type":"invalid_request_error","param":"stream","code":"unsupported_parameter"}}`, true},
		{"null param and code", `{"error":{"message":"m","type":"t","param":null,"code":null}}`, true},
		{"param missing", `{"error":{"message":"m","type":"t","code":null}}`, false},
		{"code missing", `{"error":{"message":"m","type":"t","param":null}}`, false},
		{"param a number", `{"error":{"message":"m","type":"t","param":3,"code":null}}`, false},
		{"empty message", `{"error":{"message":"","type":"t","param":null,"code":null}}`, false},
		{"error a string", `{"error":"Unauthorized"}`, false},
		{"vLLM envelope", `{"object":"error","message":"m","type":"BadRequestError","param":null,"code":400}`, false},
		{"FastAPI 404", `{"detail":"Not Found"}`, false},
		{"not JSON", `Bad Request`, false},
		{"array", `[{"error":{}}]`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := envelope(reply(400, c.body))
			if (err == nil) != c.ok {
				t.Fatalf("envelope(%s) = %v, want ok=%v", c.body, err, c.ok)
			}
		})
	}
}

func TestRejected(t *testing.T) {
	env := func(param string) string {
		return `{"error":{"message":"no","type":"invalid_request_error","param":` + param + `,"code":"unsupported_parameter"}}`
	}
	cases := []struct {
		name   string
		status int
		body   string
		field  string
		want   string // substring of the failure; "" = pass
	}{
		{"exact param", 400, env(`"stream"`), "stream", ""},
		{"param inside the field", 400, env(`"input[0].content[1].type"`), "input[0]", ""},
		{"index of the field", 400, env(`"include[2]"`), "include", ""},
		{"dotted path", 400, env(`"metadata.completion_window"`), "metadata.completion_window", ""},
		{"another field", 400, env(`"streaming"`), "stream", "does not name"},
		{"parent only", 400, env(`"metadata"`), "metadata.completion_window", "does not name"},
		{"null param", 400, env(`null`), "stream", "does not name"},
		{"accepted", 200, `{"id":"x"}`, "stream", "accepted"},
		{"wrong status", 422, env(`"stream"`), "stream", "want 400"},
		{"wrong type", 400, `{"error":{"message":"no","type":"server_error","param":"stream","code":null}}`, "stream", "invalid_request_error"},
		{"not an envelope", 400, `{"detail":"bad"}`, "stream", "envelope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := rejected(reply(c.status, c.body), c.field)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("want a pass, got %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("want a failure mentioning %q, got %v", c.want, err)
			}
		})
	}
}

func TestNotImplemented(t *testing.T) {
	env := `{"error":{"message":"not implemented","type":"not_implemented_error","param":null,"code":"not_implemented"}}`
	cases := []struct {
		name   string
		status int
		body   string
		ok     bool
	}{
		{"404", 404, env, true}, {"405", 405, env, true}, {"501", 501, env, true},
		{"served", 200, `{"id":"resp_1","object":"response"}`, false},
		{"deleted", 200, `{"id":"resp_1","deleted":true}`, false},
		{"bare 404", 404, `{"detail":"Not Found"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := notImplemented(reply(c.status, c.body)); (err == nil) != c.ok {
				t.Fatalf("got %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func TestJSONReply(t *testing.T) {
	cases := []struct {
		name, ct, body string
		status         int
		ok             bool
	}{
		{"json", "application/json", `{"a":1}`, 200, true},
		{"json with charset", "application/json; charset=utf-8", `{"a":1}`, 200, true},
		{"event stream", "text/event-stream", "data: {}\n\n", 200, false},
		{"array", "application/json", `[1]`, 200, false},
		{"wrong status", "application/json", `{"a":1}`, 201, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := reply(c.status, c.body)
			r.Header.Set("Content-Type", c.ct)
			if _, err := jsonReply(r, 200); (err == nil) != c.ok {
				t.Fatalf("got %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func FuzzEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"error":{"message":"m","type":"t","param":null,"code":null}}`,
		`{"error":{"message":"m","type":"invalid_request_error","param":"tools[0]","code":"unsupported_parameter"}}`,
		`{"type":"error","error":{"type":"invalid_request_error","message":"m"}}`,
		`{"detail":"Not Found"}`, `{"error":"Unauthorized"}`, ``, `null`,
	} {
		f.Add(400, s)
	}
	f.Fuzz(func(t *testing.T, status int, body string) {
		r := reply(status, body)
		e, err := envelope(r)
		if err == nil && (e.Get("message").Str == "" || e.Get("type").Str == "") {
			t.Fatalf("accepted an envelope without message or type: %s", body)
		}
		if rejected(r, "stream") == nil && status != 400 {
			t.Fatalf("a %d passed as a rejection", status)
		}
		_ = r.String()
	})
}
