package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

// waitSim polls the simulator's stats until cond holds (the engine is a separate process; its
// stats endpoint is the only way to observe it).
func waitSim(t *testing.T, sim *proc, what string, cond func(running, waiting, requests int) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(sim.URL + "/sim/stats")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var st struct{ Running, Waiting, Requests int }
		_ = json.Unmarshal(b, &st)
		if cond(st.Running, st.Waiting, st.Requests) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine never reached %q: %s", what, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBackgroundSurvivesSIGKILL: background responses that are running or queued when sailshim is
// killed all reach a terminal state after a restart on the same data directory.
func TestBackgroundSurvivesSIGKILL(t *testing.T) {
	sim := startSim(t)
	dir := t.TempDir()
	serve := startServe(t, []string{sim.URL}, "--data-dir", dir)
	client := newClient(serve)
	ctx := context.Background()

	const hung = 3
	simFaults(t, sim, `{"hang_next":3}`)
	var ids []string
	for i := 0; i < hung+2; i++ {
		window := "15m"
		if i >= hung {
			window = "24h"
		}
		r, err := client.Responses.New(ctx, responses.ResponseNewParams{
			Model: "sim-1", Input: textInput("job"), Background: openai.Bool(true),
			Metadata: map[string]string{"completion_window": window},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	waitSim(t, sim, "3 hung requests", func(running, _, requests int) bool { return requests >= hung })
	serve.Kill()

	serve2 := startServe(t, []string{sim.URL}, "--data-dir", dir)
	client2 := newClient(serve2)
	for _, id := range ids {
		r := pollResponse(t, client2, id)
		if r.Status != "completed" || r.OutputText() == "" {
			t.Fatalf("%s after restart: %s", id, r.RawJSON())
		}
	}
}
