package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sailshim/conformance"
)

// conformanceSurfaces are the surfaces CI holds sailshim to. Batch joins once POST /v1/batches
// exists (TestConformanceBatch enforces it from then on).
var conformanceSurfaces = []conformance.Surface{conformance.Responses, conformance.Chat, conformance.Messages}

func conformanceRun(t *testing.T, base string, o conformance.Options) *conformance.Report {
	t.Helper()
	o.BaseURL, o.Model = base, "sim-1"
	if o.APIKey == "" {
		o.APIKey = testKey
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	rep, err := conformance.Run(context.Background(), o, conformance.All())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) == 0 {
		t.Fatal("no case ran")
	}
	return rep
}

func conformanceTable(rep *conformance.Report) string {
	var b bytes.Buffer
	_ = rep.WriteTable(&b)
	return b.String()
}

// TestConformance holds serve + sim to every case of the support matrix.
func TestConformance(t *testing.T) {
	sim := startSim(t)
	serve := startServe(t, []string{sim.URL}, "--webhook-allow-private")
	rep := conformanceRun(t, serve.URL, conformance.Options{Surfaces: conformanceSurfaces, WebhookListen: "127.0.0.1:0"})
	if rep.Failed > 0 {
		t.Fatalf("%d of %d cases failed:\n%s", rep.Failed, len(rep.Results), conformanceTable(rep))
	}
	// Webhook delivery was really checked, not only acceptance.
	for _, s := range conformanceSurfaces {
		if r, ok := rep.Result(string(s) + "/cross/webhook"); !ok || r.Detail != "" {
			t.Errorf("%s/cross/webhook: %+v", s, r)
		}
	}
}

// TestConformanceBatch runs the batch cases once the batch API is there, and skips until then.
func TestConformanceBatch(t *testing.T) {
	sim := startSim(t)
	serve := startServe(t, []string{sim.URL})
	if r := do(t, "POST", serve.URL+"/v1/batches", `{}`); r.Status == 404 && strings.Contains(string(r.Body), "unknown_route") {
		t.Skip("POST /v1/batches is not built yet")
	}
	rep := conformanceRun(t, serve.URL, conformance.Options{Surfaces: []conformance.Surface{conformance.Batch}})
	if rep.Failed > 0 {
		t.Fatalf("%d of %d batch cases failed:\n%s", rep.Failed, len(rep.Results), conformanceTable(rep))
	}
}

// TestConformanceCLI runs `sailshim conformance` as an operator would and checks its exit status,
// summary line and JSON report.
func TestConformanceCLI(t *testing.T) {
	sim := startSim(t)
	serve := startServe(t, []string{sim.URL})
	report := filepath.Join(t.TempDir(), "report.json")
	run := func(args ...string) (string, int) {
		cmd := exec.Command(binary, append([]string{"conformance", "--base-url", serve.URL + "/v1",
			"--api-key", testKey, "--model", "sim-1", "--json", report}, args...)...)
		cmd.Env = append(os.Environ(), "SAILSHIM_CONFIG=", "SAILSHIM_CONFORMANCE_CONFIG=")
		out, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}

	out, code := run("--surface", "responses,chat,messages", "--only", "reject|notes")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !regexp.MustCompile(`^\d+ passed, 0 failed$`).MatchString(lines[len(lines)-1]) {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	for _, want := range []string{"== Chat Completions API: Not yet supported", "chat/reject/stream", "messages/notes/end-turn"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var rep conformance.Report
	data, err := os.ReadFile(report)
	if err != nil || json.Unmarshal(data, &rep) != nil || rep.Failed != 0 || rep.Passed != len(rep.Results) || rep.Passed == 0 {
		t.Fatalf("JSON report: %v %s", err, data)
	}

	// A wrong key fails the run: exit status 1 and the failures named.
	out, code = run("--surface", "chat", "--only", "chat/endpoint", "--api-key", "sk-wrong")
	if code != 1 || !strings.Contains(out, "FAIL") || !strings.HasSuffix(strings.TrimSpace(out), "0 passed, 1 failed") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

// TestConformanceCatchesPassThroughProxy points the suite at a proxy that forwards everything to
// the engine unchanged: it accepts every unsupported feature and speaks only chat completions,
// and the suite must say so row by row.
func TestConformanceCatchesPassThroughProxy(t *testing.T) {
	sim := startSim(t)
	target, err := url.Parse(sim.URL)
	if err != nil {
		t.Fatal(err)
	}
	bad := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	t.Cleanup(bad.Close)

	rep := conformanceRun(t, bad.URL, conformance.Options{Surfaces: conformanceSurfaces})
	table := conformanceTable(rep)
	mustFail := []string{
		"chat/reject/stream", "chat/reject/n", "chat/reject/seed", "chat/reject/stop", "chat/reject/max-tokens",
		"chat/reject/image-url", "chat/cross/store-false", "chat/cross/window-invalid", "chat/auth/bearer-required",
		"chat/notes/finish-length-is-stop",
		"responses/endpoint", "responses/reject/stream", "responses/background/create-and-poll",
		"messages/endpoint", "messages/reject/system", "messages/compat/x-api-key-refused", "messages/notes/end-turn",
	}
	for _, id := range mustFail {
		r, ok := rep.Result(id)
		if !ok {
			t.Errorf("case %s did not run", id)
			continue
		}
		if r.Pass || r.Detail == "" {
			t.Errorf("%s passed against a pass-through proxy: %+v", id, r)
		}
		if !regexp.MustCompile(`(?m)FAIL\s+` + regexp.QuoteMeta(id) + `\s`).MatchString(table) {
			t.Errorf("the table does not report %s as failed", id)
		}
	}
	// Every rejection row of every surface is caught, not just a sample.
	for _, r := range rep.Results {
		if strings.Contains(r.ID, "/reject/") && r.Pass {
			t.Errorf("rejection row %s passed against a pass-through proxy: %s", r.ID, r.Detail)
		}
	}
	// The suite is not failing blindly: what the engine does right still passes.
	for _, id := range []string{"chat/endpoint", "chat/tools/function", "chat/notes/one-choice"} {
		if r, _ := rep.Result(id); !r.Pass {
			t.Errorf("%s should pass through to a vLLM-like engine: %s", id, r.Detail)
		}
	}
	if want := regexp.MustCompile(`(?m)^\d+ passed, ` + strconv.Itoa(rep.Failed) + ` failed$`); rep.Failed == 0 || !want.MatchString(table) {
		t.Fatalf("summary line wrong or no failures (%d):\n%s", rep.Failed, table)
	}
}

// TestConformanceCatchesMisconfiguredWindows runs the window rows against a sailshim whose
// window table lacks "24h": exactly the 24h cases must fail.
func TestConformanceCatchesMisconfiguredWindows(t *testing.T) {
	sim := startSim(t)
	serve := startServe(t, []string{sim.URL}, "--windows", "asap=0:immediate,15m=15m:deferrable")
	rep := conformanceRun(t, serve.URL, conformance.Options{Surfaces: conformanceSurfaces, Only: regexp.MustCompile(`/cross/window-`)})
	for _, r := range rep.Results {
		if want := strings.Contains(r.ID, "24h"); r.Pass == want {
			t.Errorf("%s: pass=%v, want %v (%s)", r.ID, r.Pass, !want, r.Detail)
		}
	}
	if rep.Failed != 4 { // window-24h on three surfaces, and the background 24h case
		t.Fatalf("%d failures, want 4:\n%s", rep.Failed, conformanceTable(rep))
	}
}
