package store

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// goldenRecords pin format version 1: records written by this binary must stay readable by every
// later one, so a changed encoding fails here instead of in a restarted production server.
var goldenRecords = []struct {
	name string
	rec  Record
}{
	{"queued_background", Record{
		ID: "resp_0123456789abcdef", Owner: "kid_5f2c", Surface: "responses", Status: "queued",
		Object:    []byte(`{"id":"resp_0123456789abcdef","object":"response","status":"queued"}`),
		Request:   []byte(`{"model":"m","input":"hi","background":true}`),
		Window:    "15m",
		CreatedAt: 1767225600123456789, Deadline: 1767226500123456789, Attempts: 0,
	}},
	{"completed_chat", Record{
		ID: "chatcmpl-9", Owner: "kid_5f2c", Surface: "chat", Status: "completed",
		Object:    []byte(`{"id":"chatcmpl-9","object":"chat.completion","choices":[]}`),
		Window:    "asap",
		CreatedAt: 1767225600000000000, Attempts: 2,
	}},
	{"empty", Record{ID: "x"}},
	{"negative_times", Record{ID: "msg_1", Status: "in_progress", CreatedAt: -5, Deadline: -1, Attempts: -3}},
}

func TestRecordGolden(t *testing.T) {
	for _, tc := range goldenRecords {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", "record_v1_"+tc.name+".bin")
			enc := appendRecord(nil, &tc.rec)
			if *update {
				if err := os.WriteFile(path, enc, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if !bytes.Equal(enc, golden) {
				t.Errorf("encoding changed:\n got %x\nwant %x\n(a format change needs a new version byte)", enc, golden)
			}
			var got Record
			if err := decodeRecord(golden, &got); err != nil {
				t.Fatalf("decode golden: %v", err)
			}
			if !reflect.DeepEqual(got, tc.rec) {
				t.Errorf("decode golden:\n got %+v\nwant %+v", got, tc.rec)
			}
		})
	}
}

func TestReservationGolden(t *testing.T) {
	r := reservation{epoch: 300, id: "resp_abc"}
	for i := range r.fp {
		r.fp[i] = byte(i)
	}
	path := filepath.Join("testdata", "reservation_v1.bin")
	enc := appendReservation(nil, &r)
	if *update {
		if err := os.WriteFile(path, enc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if !bytes.Equal(enc, golden) {
		t.Errorf("encoding changed:\n got %x\nwant %x", enc, golden)
	}
	var got reservation
	if err := decodeReservation(golden, &got); err != nil || got != r {
		t.Errorf("decode golden = %+v, %v; want %+v", got, err, r)
	}
}

func TestDecodeRecordCorrupt(t *testing.T) {
	valid := appendRecord(nil, &goldenRecords[0].rec)
	cases := []struct {
		name string
		buf  []byte
	}{
		{"empty", nil},
		{"unknown_version", append([]byte{9}, valid[1:]...)},
		{"version_only", []byte{recordV1}},
		{"trailing_byte", append(append([]byte(nil), valid...), 0)},
		{"length_past_end", []byte{recordV1, 0xff, 0x01, 'a'}},
		{"varint_overflow", append([]byte{recordV1}, bytes.Repeat([]byte{0xff}, 11)...)},
	}
	// Every strict prefix of a valid encoding is a torn write and must be rejected.
	for n := 1; n < len(valid); n += 7 {
		cases = append(cases, struct {
			name string
			buf  []byte
		}{"truncated", valid[:n]})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rec Record
			err := decodeRecord(tc.buf, &rec)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decodeRecord(%x) = %v, want ErrCorrupt", tc.buf, err)
			}
		})
	}
}

func TestDecodeReservationCorrupt(t *testing.T) {
	valid := appendReservation(nil, &reservation{epoch: 1, id: "resp_1"})
	for n := 0; n < len(valid); n++ {
		var r reservation
		if err := decodeReservation(valid[:n], &r); !errors.Is(err, ErrCorrupt) {
			t.Errorf("prefix %d: err = %v, want ErrCorrupt", n, err)
		}
	}
	var r reservation
	if err := decodeReservation(append(valid, 1), &r); !errors.Is(err, ErrCorrupt) {
		t.Errorf("trailing byte: err = %v, want ErrCorrupt", err)
	}
}

// TestAliasTail checks Put's cached copy against a full decode, so the shortcut cannot drift from
// the format.
func TestAliasTail(t *testing.T) {
	big := Record{ID: "r", Object: bytes.Repeat([]byte("o"), 300), Request: bytes.Repeat([]byte("q"), 200)}
	for _, rec := range []Record{goldenRecords[0].rec, goldenRecords[1].rec, goldenRecords[2].rec, big} {
		enc := appendRecord(nil, &rec)
		if len(enc) > recordSize(&rec) {
			t.Errorf("%s: recordSize %d < encoded %d", rec.ID, recordSize(&rec), len(enc))
		}
		var want Record
		if err := decodeRecord(enc, &want); err != nil {
			t.Fatal(err)
		}
		if got := aliasTail(&rec, enc); !reflect.DeepEqual(*got, want) {
			t.Errorf("aliasTail(%s) = %+v, want %+v", rec.ID, *got, want)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "record_v1_*.bin"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{recordV1, 0x80})
	f.Fuzz(func(t *testing.T, buf []byte) {
		var rec Record
		if err := decodeRecord(buf, &rec); err != nil {
			if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), "store: corrupt") {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		// Whatever decodes must survive a round trip unchanged.
		var again Record
		if err := decodeRecord(appendRecord(nil, &rec), &again); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(rec, again) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", again, rec)
		}
	})
}
