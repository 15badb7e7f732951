package apierr

import (
	"encoding/json"
	"testing"
)

func TestEnvelope(t *testing.T) {
	cases := []struct {
		name string
		err  *Error
		want string
	}{
		{"param and code", Unsupported("stream", `"stream": true is not supported`),
			`{"error":{"message":"\"stream\": true is not supported","type":"invalid_request_error","param":"stream","code":"unsupported_parameter"}}`},
		{"control and invalid utf8", BadValue("model", "bad \a\x00\xff\"q\" \u00e9"),
			`{"error":{"message":"bad \u0007\u0000\ufffd\"q\" é","type":"invalid_request_error","param":"model","code":"invalid_value"}}`},
		{"nulls", &Error{Status: 500, Type: TypeServer, Message: "boom"},
			`{"error":{"message":"boom","type":"server_error","param":null,"code":null}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(c.err.AppendJSON(nil))
			if got != c.want {
				t.Fatalf("got %s\nwant %s", got, c.want)
			}
			if !json.Valid([]byte(got)) {
				t.Fatal("invalid JSON")
			}
			obj := string(c.err.AppendObject([]byte("x")))
			if obj[0] != 'x' || !json.Valid([]byte(obj[1:])) {
				t.Fatalf("AppendObject: %s", obj)
			}
		})
	}
}
