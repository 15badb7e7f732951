package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/tidwall/gjson"
	"github.com/valyala/fasthttp"
)

// call sends one request through Handler on a hand-built RequestCtx.
func call(t testing.TB, s *Server, method, path, body string) (int, gjson.Result, string) {
	t.Helper()
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(path)
	req.SetBodyString(body)
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, nil, nil)
	s.Handler(&ctx)
	raw := string(ctx.Response.Body())
	return ctx.Response.StatusCode(), gjson.Parse(raw), raw
}

// chatBody builds a request with one user message.
func chatBody(model, user, extra string) string {
	b := `{"model":` + string(gjson.AppendJSONString(nil, model)) +
		`,"messages":[{"role":"user","content":` + string(gjson.AppendJSONString(nil, user)) + `}]`
	if extra != "" {
		b += "," + extra
	}
	return b + "}"
}

// compileSchema compiles a JSON Schema text for validating generated output.
func compileSchema(t testing.TB, schema string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(schema))
	if err != nil {
		t.Fatalf("schema does not parse: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("mem://schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("mem://schema.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return sch
}

func validate(t testing.TB, sch *jsonschema.Schema, instance string) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(instance))
	if err != nil {
		t.Fatalf("generated value is not JSON: %v\n%s", err, instance)
	}
	if err := sch.Validate(v); err != nil {
		t.Fatalf("generated value fails the schema: %v\n%s", err, instance)
	}
}

// watch installs the state-change hook before any request runs and returns its signal.
func watch(s *Server) <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.onChange = func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	return ch
}

// until waits for cond on Stats, woken by the state-change hook; the deadline only bounds a
// broken test.
func until(t testing.TB, s *Server, changed <-chan struct{}, what string, cond func(Stats) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond(s.Stats()) {
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; stats %+v", what, s.Stats())
		}
	}
}
