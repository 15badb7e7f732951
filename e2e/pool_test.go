package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

func simStats(t *testing.T, sim *proc) (requests int) {
	t.Helper()
	resp, err := http.Get(sim.URL + "/sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var st struct{ Requests int }
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("sim stats %s: %v", b, err)
	}
	return st.Requests
}

func TestTransientUpstreamErrorIsRetried(t *testing.T) {
	s := newStack(t)
	simFaults(t, s.sim, `{"fail_next":1,"fail_status":500}`)
	c, err := s.client.Chat.Completions.New(context.Background(), userChat("hello"))
	if err != nil {
		t.Fatalf("the retry should have succeeded: %v", err)
	}
	if c.Choices[0].Message.Content == "" {
		t.Fatal("empty reply")
	}
	if n := simStats(t, s.sim); n != 2 {
		t.Fatalf("the engine saw %d requests, want 2 (one failed, one retried)", n)
	}
}

func TestClientFaultIsNotRetried(t *testing.T) {
	s := newStack(t)
	simFaults(t, s.sim, `{"fail_next":1,"fail_status":400}`)
	_, err := s.client.Chat.Completions.New(context.Background(), userChat("hello"))
	if ae := apiError(t, err); ae.StatusCode != 400 {
		t.Fatalf("status %d", ae.StatusCode)
	}
	if n := simStats(t, s.sim); n != 1 {
		t.Fatalf("the engine saw %d requests, want 1", n)
	}
}

func TestUpstreamDownWhileSecondServes(t *testing.T) {
	a, b := startSim(t), startSim(t)
	serve := startServe(t, []string{a.URL, b.URL})
	client := newClient(serve)
	a.Kill()
	for i := 0; i < 10; i++ {
		if _, err := client.Chat.Completions.New(context.Background(), userChat("hello")); err != nil {
			t.Fatalf("request %d failed with one upstream still up: %v", i, err)
		}
	}
	if n := simStats(t, b); n != 10 {
		t.Fatalf("the live upstream served %d, want 10", n)
	}
}

func TestAllUpstreamsDown(t *testing.T) {
	s := newStack(t)
	s.sim.Kill()
	_, err := s.client.Chat.Completions.New(context.Background(), userChat("hello"))
	ae := apiError(t, err)
	if ae.StatusCode != 503 {
		t.Fatalf("status %d, want 503", ae.StatusCode)
	}
	if ra := ae.Response.Header.Get("Retry-After"); ra == "" {
		t.Fatal("503 without Retry-After")
	}
	r := do(t, "GET", s.serve.URL+"/readyz", "")
	_ = r // readiness flips at the next refresh; /healthz stays up
	if h := do(t, "GET", s.serve.URL+"/healthz", ""); h.Status != 200 {
		t.Fatalf("healthz %d", h.Status)
	}
}
