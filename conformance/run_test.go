package conformance

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func fakeCase(id string, s Surface, run func(ctx context.Context, c *Client) error) Case {
	return Case{ID: id, Surface: s, Section: SecCross, Row: "row " + id, Expect: "expect " + id, Run: run}
}

func runFake(t *testing.T, o Options, cases ...Case) *Report {
	t.Helper()
	if o.BaseURL == "" {
		o.BaseURL = "http://127.0.0.1:1"
	}
	o.Model = "m"
	rep, err := Run(context.Background(), o, cases)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestRunVerdicts(t *testing.T) {
	rep := runFake(t, Options{Timeout: 200 * time.Millisecond},
		fakeCase("x/pass", Chat, func(context.Context, *Client) error { return nil }),
		fakeCase("x/fail", Chat, func(context.Context, *Client) error { return errors.New("bad shape") }),
		fakeCase("x/note", Chat, func(context.Context, *Client) error { return note("not checked") }),
		fakeCase("x/panic", Chat, func(context.Context, *Client) error { panic("boom") }),
		fakeCase("x/timeout", Chat, func(ctx context.Context, _ *Client) error { <-ctx.Done(); return ctx.Err() }),
	)
	want := []struct {
		id     string
		pass   bool
		detail string
	}{
		{"x/pass", true, ""}, {"x/fail", false, "bad shape"}, {"x/note", true, "not checked"},
		{"x/panic", false, "case panicked: boom"}, {"x/timeout", false, "timed out after 200ms"},
	}
	for i, w := range want {
		r := rep.Results[i]
		if r.ID != w.id || r.Pass != w.pass || !strings.Contains(r.Detail, w.detail) || (w.detail == "" && r.Detail != "") {
			t.Errorf("result %d = %+v, want %+v", i, r, w)
		}
	}
	if rep.Passed != 2 || rep.Failed != 3 || len(rep.Failures()) != 3 {
		t.Fatalf("passed %d failed %d", rep.Passed, rep.Failed)
	}
}

// TestRunConcurrencyLimit: the first three cases hold until three run at once, so a runner that
// ran them one by one would time out, and none may see a fourth in flight.
func TestRunConcurrencyLimit(t *testing.T) {
	const limit = 3
	var inflight, over atomic.Int32
	gate := make(chan struct{})
	var once sync.Once
	var cases []Case
	for i := range 12 {
		cases = append(cases, fakeCase("c/"+string(rune('a'+i)), Chat, func(ctx context.Context, _ *Client) error {
			n := inflight.Add(1)
			defer inflight.Add(-1)
			if n > limit {
				over.Add(1)
			}
			if n == limit {
				once.Do(func() { close(gate) })
			}
			select {
			case <-gate:
				return nil
			case <-ctx.Done():
				return errors.New("never reached the limit")
			}
		}))
	}
	rep := runFake(t, Options{Concurrency: limit, Timeout: 10 * time.Second}, cases...)
	if rep.Failed != 0 || over.Load() != 0 {
		t.Fatalf("failed %d, over the limit %d times: %+v", rep.Failed, over.Load(), rep.Failures())
	}
}

func TestSelect(t *testing.T) {
	cases := []Case{
		fakeCase("chat/reject/stream", Chat, nil), fakeCase("chat/core/basic", Chat, nil),
		fakeCase("responses/reject/stream", Responses, nil), fakeCase("batch/create", Batch, nil),
	}
	cases[1].Row = "Core parameters"
	ids := func(cs []Case) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.ID)
		}
		return strings.Join(s, ",")
	}
	for _, c := range []struct {
		name     string
		surfaces []Surface
		only     string
		want     string
	}{
		{"everything", nil, "", "chat/reject/stream,chat/core/basic,responses/reject/stream,batch/create"},
		{"surfaces", []Surface{Responses, Chat}, "", "chat/reject/stream,chat/core/basic,responses/reject/stream"},
		{"only id", nil, "reject/stream$", "chat/reject/stream,responses/reject/stream"},
		{"only row", nil, "^Core", "chat/core/basic"},
		{"both", []Surface{Chat}, "stream", "chat/reject/stream"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var re *regexp.Regexp
			if c.only != "" {
				re = regexp.MustCompile(c.only)
			}
			if got := ids(Select(cases, c.surfaces, re)); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}

func TestParseSurfaces(t *testing.T) {
	got, err := ParseSurfaces("responses, chat,messages")
	if err != nil || len(got) != 3 || got[2] != Messages {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := ParseSurfaces("responses,completions"); err == nil {
		t.Fatal("an unknown surface was accepted")
	}
}

func TestRunOptions(t *testing.T) {
	for _, o := range []Options{{BaseURL: "localhost:8080", Model: "m"}, {BaseURL: "ftp://x", Model: "m"}, {BaseURL: "http://x"}} {
		if _, err := Run(context.Background(), o, nil); err == nil {
			t.Errorf("Run(%+v) accepted", o)
		}
	}
	// A trailing /v1 is the same server.
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { path = r.URL.Path }))
	defer srv.Close()
	runFake(t, Options{BaseURL: srv.URL + "/v1/"}, fakeCase("x/get", Chat, func(ctx context.Context, c *Client) error {
		_, err := c.get(ctx, "/v1/models")
		return err
	}))
	if path != "/v1/models" {
		t.Fatalf("requested %q", path)
	}
}

// TestAcceptedOrWaiting: a server that holds a deferred request counts as having accepted it.
func TestAcceptedOrWaiting(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := &Client{BaseURL: srv.URL, Model: "m", HTTP: srv.Client()}
	err := acceptedOrWaiting(context.Background(), c, Chat, c.chatBody(nil), 50*time.Millisecond)
	var n note
	if !errors.As(err, &n) {
		t.Fatalf("want a passing note, got %v", err)
	}
}

func TestHookSink(t *testing.T) {
	h, err := startHookSink("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	url, got, done := h.expect()
	defer done()
	for range 2 { // a retry is absorbed
		resp, err := http.Post(url, "application/json", strings.NewReader(`{"id":"resp_1"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := h.wait(ctx, got)
	if err != nil || string(d.Body) != `{"id":"resp_1"}` || d.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%v %+v", err, d)
	}
	resp, err := http.Post(h.base+"/hook/unknown", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("an unexpected hook got %d", resp.StatusCode)
	}
}
