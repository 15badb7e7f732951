package store

import (
	"errors"
	"reflect"
	"testing"
)

func TestKVScan(t *testing.T) {
	s := openTest(t, t.TempDir(), 0)
	entries := []struct{ ns, key, val string }{
		{"outbox", "resp_1", "a"},
		{"outbox", "resp_2", "b"},
		{"outbox", "resp_2/retry", "c"},
		{"outbox", "zz\xff\xff", "d"},
		{"outboxes", "resp_1", "other ns sharing a prefix"},
		{"batch", "resp_1", "other ns"},
	}
	for i, e := range entries {
		if err := s.KVPut(e.ns, e.key, []byte(e.val), i%2 == 0); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, ns, prefix string
		limit            int // stop after this many; 0 = all
		want             []string
	}{
		{"whole namespace in key order", "outbox", "", 0, []string{"resp_1=a", "resp_2=b", "resp_2/retry=c", "zz\xff\xff=d"}},
		{"prefix", "outbox", "resp_2", 0, []string{"resp_2=b", "resp_2/retry=c"}},
		{"prefix of 0xff bytes", "outbox", "zz\xff", 0, []string{"zz\xff\xff=d"}},
		{"no match", "outbox", "q", 0, nil},
		{"stop early", "outbox", "", 1, []string{"resp_1=a"}},
		{"namespace isolation", "outboxes", "", 0, []string{"resp_1=other ns sharing a prefix"}},
		{"empty namespace", "files", "", 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := s.KVScan(tc.ns, tc.prefix, func(k string, v []byte) bool {
				got = append(got, k+"="+string(v))
				return tc.limit == 0 || len(got) < tc.limit
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("KVScan(%q, %q) = %q, want %q", tc.ns, tc.prefix, got, tc.want)
			}
		})
	}
}

func TestKVGetDelete(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, 0)
	val := []byte("payload")
	if err := s.KVPut("batch", "b1", val, true); err != nil {
		t.Fatal(err)
	}
	val[0] = 'X' // the store kept its own copy
	got, err := s.KVGet("batch", "b1")
	if err != nil || string(got) != "payload" {
		t.Fatalf("KVGet = %q, %v", got, err)
	}
	if err := s.KVDelete("batch", "b1", true); err != nil {
		t.Fatal(err)
	}
	if err := s.KVDelete("batch", "never-set", false); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	_ = s.Close()
	s = openTest(t, dir, 0)
	if _, err := s.KVGet("batch", "b1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("KVGet after delete and reopen = %v, want ErrNotFound", err)
	}
}

func TestKVRejects(t *testing.T) {
	s := openTest(t, t.TempDir(), 0)
	cases := []struct{ name, ns, key string }{
		{"empty ns", "", "k"},
		{"slash in ns", "a/b", "k"},
		{"empty key", "ns", ""},
	}
	for _, tc := range cases {
		if err := s.KVPut(tc.ns, tc.key, nil, false); err == nil {
			t.Errorf("%s: KVPut succeeded", tc.name)
		}
		if _, err := s.KVGet(tc.ns, tc.key); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("%s: KVGet = %v, want a validation error", tc.name, err)
		}
	}
}

// KV entries and records live side by side without leaking into each other's scans.
func TestKVDoesNotSeeRecords(t *testing.T) {
	s := openTest(t, t.TempDir(), 0)
	if err := s.Put(rec("resp_1", "queued", 1), false); err != nil {
		t.Fatal(err)
	}
	if err := s.KVPut("r", "x", []byte("v"), false); err != nil {
		t.Fatal(err)
	}
	if ids := pendingIDs(t, s); !reflect.DeepEqual(ids, []string{"resp_1"}) {
		t.Fatalf("Pending = %q", ids)
	}
	n := 0
	_ = s.KVScan("r", "", func(string, []byte) bool { n++; return true })
	if n != 1 {
		t.Fatalf("KVScan(r) saw %d entries, want 1", n)
	}
}
