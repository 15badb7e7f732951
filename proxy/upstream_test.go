package proxy

import (
	"slices"
	"strings"
	"testing"

	"sailshim/translate"
)

func TestParseUpstream(t *testing.T) {
	tests := []struct {
		in      string
		want    UpstreamConfig
		wantErr string
	}{
		{in: "http://10.0.0.5:8000", want: UpstreamConfig{URL: "http://10.0.0.5:8000", Concurrency: 32}},
		{in: "http://10.0.0.5:8000/v1/", want: UpstreamConfig{URL: "http://10.0.0.5:8000", Concurrency: 32}},
		{in: "https://tgi.internal;dialect=tgi;concurrency=8;models=a|b",
			want: UpstreamConfig{URL: "https://tgi.internal", Dialect: translate.TGI, Concurrency: 8, Models: []string{"a", "b"}}},
		{in: "http://h:1;dialect=nope", wantErr: "unknown dialect"},
		{in: "http://h:1;concurrency=0", wantErr: "positive integer"},
		{in: "http://h:1;color=red", wantErr: "unknown option"},
		{in: "http://h:1;dialect", wantErr: "not key=value"},
		{in: "h:1", wantErr: "absolute http(s) URL"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseUpstream(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.URL != tc.want.URL || got.Dialect != tc.want.Dialect || got.Concurrency != tc.want.Concurrency || !slices.Equal(got.Models, tc.want.Models) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// An engine named by its /v1/models owned_by is spoken to in its own dialect unless the
// configuration names one; engines that name none (TGI) stay on the default.
func TestDetectDialect(t *testing.T) {
	models := func(owner string) []byte {
		return []byte(`{"object":"list","data":[{"id":"m","object":"model","owned_by":"` + owner + `"}]}`)
	}
	tests := []struct {
		name       string
		configured translate.Dialect
		body       []byte
		want       translate.Dialect
		changed    bool
	}{
		{"llama.cpp", "", models("llamacpp"), translate.LlamaCpp, true},
		{"sglang", "", models("sglang"), translate.SGLang, true},
		{"vllm is the default already", "", models("vllm"), translate.VLLM, false},
		{"tgi names the model, not the engine", "", models("meta-llama/Llama-3.1-8B-Instruct"), translate.VLLM, false},
		{"no models", "", []byte(`{"data":[]}`), translate.VLLM, false},
		{"configured wins", translate.TGI, models("llamacpp"), translate.TGI, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := UpstreamConfig{URL: "http://h:1", Dialect: tc.configured}
			if err := cfg.normalise(); err != nil {
				t.Fatal(err)
			}
			u := newUpstream(cfg, PoolConfig{}, nil)
			got, changed := u.detectDialect(tc.body)
			if got != tc.want || changed != tc.changed || u.dialectNow() != tc.want {
				t.Fatalf("detectDialect = %s, %v (now %s); want %s, %v", got, changed, u.dialectNow(), tc.want, tc.changed)
			}
		})
	}
}
