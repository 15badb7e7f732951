package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type hook struct {
	Auth, ContentType string
	Body              []byte
}

// listener is a webhook receiver on 127.0.0.1 that answers with status and reports each POST.
func listener(t *testing.T, status int) (*httptest.Server, chan hook) {
	ch := make(chan hook, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- hook{Auth: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type"), Body: b}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func receive(t *testing.T, ch chan hook) hook {
	t.Helper()
	select {
	case h := <-ch:
		return h
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook arrived in 30s")
	}
	return hook{}
}

func TestWebhooks(t *testing.T) {
	s := newStack(t, "--webhook-allow-private", "--webhook-backoff", "10ms")
	ok, okc := listener(t, 200)
	meta := func(url string) string {
		return `"metadata":{"completion_webhook":"` + url + `","webhook_token":"tok-123"}`
	}

	t.Run("background response", func(t *testing.T) {
		r := do(t, "POST", s.serve.URL+"/v1/responses", `{"model":"sim-1","input":"hi","background":true,`+meta(ok.URL)+`}`)
		id := jsonField(t, r.Body, "id")
		h := receive(t, okc)
		got := do(t, "GET", s.serve.URL+"/v1/responses/"+id, "")
		if h.Auth != "Bearer tok-123" || h.ContentType != "application/json" || jsonField(t, h.Body, "status") != "completed" {
			t.Fatalf("webhook %+v", h)
		}
		if string(h.Body) != string(got.Body) {
			t.Fatalf("webhook body differs from GET:\n%s\n%s", h.Body, got.Body)
		}
	})

	t.Run("chat completion", func(t *testing.T) {
		r := do(t, "POST", s.serve.URL+"/v1/chat/completions", `{"model":"sim-1","messages":[{"role":"user","content":"hi"}],`+meta(ok.URL)+`}`)
		h := receive(t, okc)
		if string(h.Body) != string(r.Body) || h.Auth != "Bearer tok-123" {
			t.Fatalf("webhook %s, reply %s", h.Body, r.Body)
		}
	})

	t.Run("message", func(t *testing.T) {
		r := do(t, "POST", s.serve.URL+"/v1/messages", `{"model":"sim-1","max_tokens":10,"messages":[{"role":"user","content":"hi"}],`+meta(ok.URL)+`}`)
		h := receive(t, okc)
		if string(h.Body) != string(r.Body) || jsonField(t, h.Body, "type") != "message" {
			t.Fatalf("webhook %s, reply %s", h.Body, r.Body)
		}
	})

	t.Run("invalid URL sends nothing and the request succeeds", func(t *testing.T) {
		r := do(t, "POST", s.serve.URL+"/v1/chat/completions", `{"model":"sim-1","messages":[{"role":"user","content":"hi"}],`+meta("not a url")+`}`)
		if r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})

	t.Run("failing listener gets 1 + 3 attempts", func(t *testing.T) {
		bad, badc := listener(t, 500)
		do(t, "POST", s.serve.URL+"/v1/chat/completions", `{"model":"sim-1","messages":[{"role":"user","content":"hi"}],`+meta(bad.URL)+`}`)
		for i := 0; i < 4; i++ {
			receive(t, badc)
		}
		waitMetric(t, s.serve, `sailshim_webhook_deliveries_total{result="failed"}`, 1)
		select {
		case <-badc:
			t.Fatal("a fifth attempt arrived")
		default:
		}
	})
}

func TestWebhookPrivateTargetRefused(t *testing.T) {
	s := newStack(t) // no --webhook-allow-private
	srv, ch := listener(t, 200)
	r := do(t, "POST", s.serve.URL+"/v1/chat/completions",
		`{"model":"sim-1","messages":[{"role":"user","content":"hi"}],"metadata":{"completion_webhook":"`+srv.URL+`"}}`)
	if r.Status != 200 {
		t.Fatalf("the request must not fail because of its webhook: %d %s", r.Status, r.Body)
	}
	waitMetric(t, s.serve, `sailshim_webhook_deliveries_total{result="refused"}`, 1)
	select {
	case h := <-ch:
		t.Fatalf("a loopback target received a webhook: %+v", h)
	default:
	}
}

// waitMetric polls /metrics until the sample reaches at least want.
func waitMetric(t *testing.T, p *proc, sample string, want float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, sample+" ") {
				var v float64
				if json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, sample))), &v) == nil && v >= want {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("metric %s never reached %v", sample, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
