package sim

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

func TestRoutes(t *testing.T) {
	cases := []struct {
		name, method, path, body string
		status                   int
		check                    func(t *testing.T, r gjson.Result, raw string)
	}{
		{"models lists served ids", "GET", "/v1/models", "", 200, func(t *testing.T, r gjson.Result, _ string) {
			wantStr(t, r, "object", "list")
			wantStr(t, r, "data.0.id", "alpha")
			wantStr(t, r, "data.1.id", "beta")
			wantStr(t, r, "data.0.object", "model")
			wantStr(t, r, "data.0.owned_by", "vllm")
			wantInt(t, r, "data.0.max_model_len", 8192)
			if r.Get("data.0.created").Int() <= 0 {
				t.Error("created missing")
			}
		}},
		{"health", "GET", "/health", "", 200, nil},
		{"unknown route is FastAPI's 404", "GET", "/v1/responses", "", 404, func(t *testing.T, r gjson.Result, _ string) {
			wantStr(t, r, "detail", "Not Found")
		}},
		{"wrong method is 405", "GET", "/v1/chat/completions", "", 405, func(t *testing.T, r gjson.Result, _ string) {
			wantStr(t, r, "detail", "Method Not Allowed")
		}},
		{"stats", "GET", "/sim/stats", "", 200, func(t *testing.T, r gjson.Result, _ string) {
			wantInt(t, r, "max_concurrency", 64)
			wantInt(t, r, "models.alpha.requests", 0)
		}},
		{"faults read back", "GET", "/sim/faults", "", 200, func(t *testing.T, r gjson.Result, _ string) {
			wantInt(t, r, "fail_next", 0)
		}},
		{"metrics carry vLLM gauges", "GET", "/metrics", "", 200, func(t *testing.T, _ gjson.Result, raw string) {
			for _, want := range []string{
				`vllm:num_requests_running{model_name="alpha"} 0`,
				`vllm:num_requests_waiting{model_name="beta"} 0`,
				`vllm:kv_cache_usage_perc{model_name="alpha"} 0`,
				`vllm:prompt_tokens_total{model_name="alpha"} 0`,
				`vllm:generation_tokens_total{model_name="alpha"} 0`,
				`# TYPE vllm:num_requests_running gauge`,
				`# TYPE vllm:generation_tokens_total counter`,
			} {
				if !strings.Contains(raw, want) {
					t.Errorf("metrics lack %q:\n%s", want, raw)
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{Models: []string{"alpha", "beta"}})
			status, r, raw := call(t, s, tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, raw)
			}
			if tc.check != nil {
				tc.check(t, r, raw)
			}
		})
	}
}

func TestMetricsCountTokens(t *testing.T) {
	s := New(Config{Models: []string{"alpha", "beta"}})
	call(t, s, "POST", "/v1/chat/completions", chatBody("beta", "one two three [sim:tokens=11]", ""))
	call(t, s, "POST", "/v1/chat/completions", chatBody("beta", "four [sim:tokens=5]", ""))
	_, _, raw := call(t, s, "GET", "/metrics", "")
	for _, want := range []string{
		`vllm:generation_tokens_total{model_name="beta"} 16`,
		`vllm:prompt_tokens_total{model_name="beta"} 6`,
		`vllm:generation_tokens_total{model_name="alpha"} 0`,
	} {
		if !strings.Contains(raw, want) {
			t.Errorf("metrics lack %q:\n%s", want, raw)
		}
	}
	st := s.Stats()
	if st.TokensGenerated != 16 || st.Models["beta"].Completed != 2 || st.Models["alpha"].Requests != 0 || st.Completed != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestMetricsArePerServer(t *testing.T) {
	a, b := New(Config{}), New(Config{})
	call(t, a, "POST", "/v1/chat/completions", chatBody("sim-1", "x [sim:tokens=9]", ""))
	_, _, raw := call(t, b, "GET", "/metrics", "")
	if !strings.Contains(raw, `vllm:generation_tokens_total{model_name="sim-1"} 0`) {
		t.Errorf("second server sees the first one's tokens:\n%s", raw)
	}
}

func TestFaults(t *testing.T) {
	type step struct {
		body   string // chat message
		status int
	}
	cases := []struct {
		name   string
		faults string
		steps  []step
	}{
		{"fail_next fails that many with the status", `{"fail_next":2,"fail_status":503}`,
			[]step{{"a", 503}, {"b", 503}, {"c", 200}}},
		{"fail_status defaults to 500", `{"fail_next":1}`, []step{{"a", 500}, {"b", 200}}},
		{"slow_next delays but answers", `{"slow_next":1,"slow_ms":1}`, []step{{"a", 200}, {"b", 200}}},
		{"invalid requests do not use up faults", `{"fail_next":1}`, []step{{"[bad]", 400}, {"a", 500}, {"b", 200}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{})
			if status, _, raw := call(t, s, "POST", "/sim/faults", tc.faults); status != 200 {
				t.Fatalf("arming faults: %d %s", status, raw)
			}
			for i, st := range tc.steps {
				body := chatBody("sim-1", st.body, "")
				if st.body == "[bad]" {
					body = `{"model":"sim-1"}`
				}
				status, r, raw := call(t, s, "POST", "/v1/chat/completions", body)
				if status != st.status {
					t.Fatalf("step %d: status %d, want %d: %s", i, status, st.status, raw)
				}
				if status >= 500 {
					wantStr(t, r, "object", "error")
					wantInt(t, r, "code", int64(status))
				}
			}
			_, r, _ := call(t, s, "GET", "/sim/faults", "")
			wantInt(t, r, "fail_next", 0)
			wantInt(t, r, "slow_next", 0)
		})
	}
}

func TestFaultsRejectsBadBodies(t *testing.T) {
	for _, body := range []string{`{`, `{"fail_next":-1}`, `{"fail_status":200}`, `{"fail_nxt":1}`, `{"slow_ms":99999999999}`} {
		t.Run(body, func(t *testing.T) {
			s := New(Config{})
			status, r, raw := call(t, s, "POST", "/sim/faults", body)
			if status != 400 {
				t.Fatalf("status %d: %s", status, raw)
			}
			wantStr(t, r, "type", "BadRequestError")
		})
	}
}

func TestRatesAreSeeded(t *testing.T) {
	run := func() []int {
		s := New(Config{ErrorRate: 0.5, Seed: 42})
		var got []int
		for i := 0; i < 32; i++ {
			status, _, _ := call(t, s, "POST", "/v1/chat/completions", chatBody("sim-1", "x", ""))
			got = append(got, status)
		}
		return got
	}
	a, b := run(), run()
	fails := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different outcomes: %v vs %v", a, b)
		}
		if a[i] == 500 {
			fails++
		}
	}
	if fails == 0 || fails == len(a) {
		t.Errorf("ErrorRate 0.5 failed %d of %d", fails, len(a))
	}
}
