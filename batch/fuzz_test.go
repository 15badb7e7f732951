package batch

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/tidwall/gjson"

	"sailshim/apierr"
)

// seeds adds every file matching pattern under testdata to f's corpus; with lines, each line too.
func seeds(f *testing.F, pattern string, lines bool) {
	paths, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seeds match %s: %v", pattern, err)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if lines {
			for _, l := range bytes.Split(b, []byte("\n")) {
				f.Add(l)
			}
		}
	}
}

// FuzzParseBatch: the streaming parser of POST /v1/batches bodies never panics, never accepts
// what is not one JSON object, hands over items in order with a custom_id and an object as
// params, and counts exactly the items it handed over.
func FuzzParseBatch(f *testing.F) {
	seeds(f, "bodies/*.json", false)
	f.Add([]byte(`{"endpoint":"/v1/responses","requests":[]}`))
	f.Add([]byte(`{"requests":null}`))
	f.Add([]byte(`{"requests":[{"custom_id":"a","params":{}}]} {}`))
	lim := limits{maxItems: 64, maxItem: 4096, maxBody: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		h, e := parseBatch(bytes.NewReader(data), lim, func(_ *head, i int, cid string, params []byte) *apierr.Error {
			if i != n {
				t.Fatalf("item %d handed over as %d", n, i)
			}
			if cid == "" || len(cid) > maxCustomID {
				t.Fatalf("custom_id %q accepted", cid)
			}
			if !gjson.ValidBytes(params) || !gjson.ParseBytes(params).IsObject() {
				t.Fatalf("params %q is not an object", params)
			}
			n++
			return nil
		})
		if e != nil {
			if e.Message == "" || (e.Status != 400 && e.Status != 413) {
				t.Fatalf("error %+v", e)
			}
			return
		}
		if !json.Valid(data) || !gjson.ParseBytes(data).IsObject() {
			t.Fatalf("accepted %q", data)
		}
		if h.items != n || n > lim.maxItems {
			t.Fatalf("items %d, handed over %d", h.items, n)
		}
		if want := gjson.GetBytes(data, "requests.#").Int(); h.hasRequests && int(want) != n {
			t.Fatalf("requests holds %d items, parser saw %d", want, n)
		}
	})
}

// FuzzJSONLLine: a line of a batch input file is accepted only as a JSON object with a
// custom_id, method POST, a url and an object body; readLines numbers lines from 1 and never
// hands over a blank line.
func FuzzJSONLLine(f *testing.F) {
	seeds(f, "lines/*.jsonl", true)
	f.Fuzz(func(t *testing.T, data []byte) {
		cid, url, body, e := parseLine(data)
		if e == nil {
			if !json.Valid(data) || cid == "" || len(cid) > maxCustomID || url == "" && !gjson.GetBytes(data, "url").Exists() {
				t.Fatalf("accepted %q", data)
			}
			if !gjson.ValidBytes(body) || !gjson.ParseBytes(body).IsObject() {
				t.Fatalf("body %q", body)
			}
			if m := gjson.GetBytes(data, "method"); m.Str != "POST" {
				t.Fatalf("method %q accepted", m.Raw)
			}
		} else if e.Status != 400 || e.Message == "" {
			t.Fatalf("error %+v", e)
		}
		last := 0
		_, _ = readLines(bytes.NewReader(data), 1024, func(n int, line []byte) *apierr.Error {
			if n <= last || len(bytes.TrimSpace(line)) == 0 || len(line) > 1024 {
				t.Fatalf("line %d after %d: %q", n, last, line)
			}
			last = n
			return nil
		})
	})
}
