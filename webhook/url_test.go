package webhook

import (
	"net/http"
	"strings"
	"testing"
)

var validURLCases = []struct {
	name string
	raw  string
	want bool
}{
	{"https", "https://hooks.example.com/sail", true},
	{"http with port", "http://hooks.example.com:8080/x?y=1", true},
	{"upper-case scheme", "HTTPS://hooks.example.com/", true},
	{"ip literal", "http://203.0.113.7/hook", true},
	{"ipv6 literal", "http://[2001:db8::1]:9000/", true},
	{"loopback is still a valid URL", "http://127.0.0.1:8000/", true},
	{"userinfo", "https://user:pw@hooks.example.com/", true},
	{"fragment", "https://hooks.example.com/#frag", true},
	{"empty", "", false},
	{"no scheme", "hooks.example.com/sail", false},
	{"relative path", "/v1/hook", false},
	{"ftp", "ftp://hooks.example.com/", false},
	{"javascript", "javascript:alert(1)", false},
	{"file", "file:///etc/passwd", false},
	{"opaque http", "http:hooks.example.com", false},
	{"no host", "http:///path", false},
	{"port only", "http://:8080/", false},
	{"empty port", "http://hooks.example.com:/", false},
	{"port zero", "http://hooks.example.com:0/", false},
	{"port too big", "http://hooks.example.com:65536/", false},
	{"non-numeric port", "http://hooks.example.com:http/", false},
	{"space in host", "http://hooks example.com/", false},
	{"leading space", " http://hooks.example.com/", false},
	{"control char", "http://hooks.example.com/\x7f", false},
	{"newline", "http://hooks.example.com/\nHost: evil", false},
	{"too long", "https://hooks.example.com/" + strings.Repeat("a", maxURLLen), false},
}

func TestValidURL(t *testing.T) {
	for _, tc := range validURLCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ValidURL(tc.raw); got != tc.want {
				t.Errorf("ValidURL(%q) = %v, want %v", tc.raw, got, tc.want)
			}
		})
	}
}

func FuzzValidURL(f *testing.F) {
	for _, tc := range validURLCases {
		f.Add(tc.raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !ValidURL(raw) {
			return
		}
		// Whatever ValidURL accepts must be something the delivery path can build a request from.
		if _, err := http.NewRequest(http.MethodPost, raw, nil); err != nil {
			t.Fatalf("ValidURL accepted %q but a request can't be built: %v", raw, err)
		}
	})
}

func BenchmarkValidURL(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		ValidURL("https://hooks.example.com:8443/sail/webhook?tenant=42")
	}
}
