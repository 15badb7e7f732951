package webhook

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

var goldenDelivery = Delivery{
	ID:    "resp_0123456789",
	URL:   "https://hooks.example.com/sail?x=1",
	Token: "s3cret",
	Body:  []byte(`{"id":"resp_0123456789","object":"response","status":"completed"}`),
}

// The outbox format outlives a binary: a record written by one version must decode in the next.
func TestRecordGolden(t *testing.T) {
	path := filepath.Join("testdata", "record_v1.bin")
	got := encodeRecord(nil, goldenDelivery)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("encoding changed:\n got %q\nwant %q", got, want)
	}
	d, err := decodeRecord(want)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != goldenDelivery.ID || d.URL != goldenDelivery.URL || d.Token != goldenDelivery.Token ||
		!bytes.Equal(d.Body, goldenDelivery.Body) {
		t.Errorf("decoded %+v, want %+v", d, goldenDelivery)
	}
}

func TestDecodeRecordRejects(t *testing.T) {
	good := encodeRecord(nil, goldenDelivery)
	tests := []struct {
		name string
		rec  []byte
	}{
		{"empty", nil},
		{"unknown version", append([]byte{9}, good[1:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing bytes", append(append([]byte(nil), good...), 0)},
		{"length past end", []byte{recordV1, 0x7f}},
		{"huge length", []byte{recordV1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"bad varint", []byte{recordV1, 0xff}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := decodeRecord(tc.rec); err == nil {
				t.Error("decoded a malformed record")
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	if golden, err := os.ReadFile(filepath.Join("testdata", "record_v1.bin")); err == nil {
		f.Add(golden)
	}
	f.Add(encodeRecord(nil, Delivery{}))
	f.Add([]byte{recordV1})
	f.Fuzz(func(t *testing.T, rec []byte) {
		d, err := decodeRecord(rec)
		if err != nil {
			return
		}
		// Not byte-equal: an overlong varint decodes fine and re-encodes shorter.
		again, err := decodeRecord(encodeRecord(nil, d))
		if err != nil || again.ID != d.ID || again.URL != d.URL || again.Token != d.Token || !bytes.Equal(again.Body, d.Body) {
			t.Fatalf("round trip changed %+v into %+v (%v)", d, again, err)
		}
	})
}

func BenchmarkEncodeRecord(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = encodeRecord(buf[:0], goldenDelivery)
	}
}

func BenchmarkDecodeRecord(b *testing.B) {
	rec := encodeRecord(nil, goldenDelivery)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeRecord(rec); err != nil {
			b.Fatal(err)
		}
	}
}
