package store

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
)

func TestReserve(t *testing.T) {
	fpA := sha256.Sum256([]byte(`{"input":"a"}`))
	fpB := sha256.Sum256([]byte(`{"input":"b"}`))
	type step struct {
		op     string // "reserve" or "forget"
		owner  string
		key    string
		fp     [32]byte
		id     string
		wantOK Reservation
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"first claim is fresh", []step{
			{"reserve", "o1", "k", fpA, "resp_1", Reservation{Fresh: true, ID: "resp_1", Fingerprint: fpA}},
		}},
		{"retry sees holder", []step{
			{"reserve", "o1", "k", fpA, "resp_1", Reservation{Fresh: true, ID: "resp_1", Fingerprint: fpA}},
			{"reserve", "o1", "k", fpA, "resp_2", Reservation{ID: "resp_1", Fingerprint: fpA}},
		}},
		{"different body returns holder fingerprint", []step{
			{"reserve", "o1", "k", fpA, "resp_1", Reservation{Fresh: true, ID: "resp_1", Fingerprint: fpA}},
			{"reserve", "o1", "k", fpB, "resp_2", Reservation{ID: "resp_1", Fingerprint: fpA}},
		}},
		{"scoped by owner", []step{
			{"reserve", "o1", "k", fpA, "resp_1", Reservation{Fresh: true, ID: "resp_1", Fingerprint: fpA}},
			{"reserve", "o2", "k", fpA, "resp_2", Reservation{Fresh: true, ID: "resp_2", Fingerprint: fpA}},
		}},
		{"key may contain slashes", []step{
			{"reserve", "o1", "a/b", fpA, "resp_1", Reservation{Fresh: true, ID: "resp_1", Fingerprint: fpA}},
			{"reserve", "o1", "a", fpA, "resp_2", Reservation{Fresh: true, ID: "resp_2", Fingerprint: fpA}},
		}},
		{"forget frees the key", []step{
			{"reserve", "o1", "k", fpA, "resp_1", Reservation{Fresh: true, ID: "resp_1", Fingerprint: fpA}},
			{op: "forget", owner: "o1", key: "k"},
			{"reserve", "o1", "k", fpB, "resp_2", Reservation{Fresh: true, ID: "resp_2", Fingerprint: fpB}},
		}},
		{"claim without record in this process is held", []step{
			{"reserve", "o1", "k", fpA, "resp_1", Reservation{Fresh: true, ID: "resp_1", Fingerprint: fpA}},
			{"reserve", "o1", "k", fpA, "resp_2", Reservation{ID: "resp_1", Fingerprint: fpA}},
			{"reserve", "o1", "k", fpA, "resp_3", Reservation{ID: "resp_1", Fingerprint: fpA}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, t.TempDir(), 0)
			for i, st := range tc.steps {
				if st.op == "forget" {
					if err := s.Forget(st.owner, st.key); err != nil {
						t.Fatalf("step %d: Forget: %v", i, err)
					}
					continue
				}
				got, err := s.Reserve(st.owner, st.key, st.fp, st.id)
				if err != nil {
					t.Fatalf("step %d: Reserve: %v", i, err)
				}
				if got != st.wantOK {
					t.Fatalf("step %d: Reserve = %+v, want %+v", i, got, st.wantOK)
				}
			}
		})
	}
}

func TestReserveRejects(t *testing.T) {
	s := openTest(t, t.TempDir(), 0)
	cases := []struct{ name, owner, key, id string }{
		{"empty owner", "", "k", "id"},
		{"slash in owner", "a/b", "k", "id"},
		{"empty key", "o", "", "id"},
		{"empty id", "o", "k", ""},
	}
	for _, tc := range cases {
		if _, err := s.Reserve(tc.owner, tc.key, [32]byte{}, tc.id); err == nil {
			t.Errorf("%s: Reserve succeeded", tc.name)
		}
	}
}

func TestReserveConcurrentExactlyOneFresh(t *testing.T) {
	s := openTest(t, t.TempDir(), 0)
	const n = 50
	results := make([]Reservation, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fp := sha256.Sum256(fmt.Appendf(nil, "body %d", i))
			results[i], errs[i] = s.Reserve("kid_1", "same-key", fp, fmt.Sprintf("resp_%d", i))
		})
	}
	close(start)
	wg.Wait()
	var winner *Reservation
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("Reserve %d: %v", i, errs[i])
		}
		if results[i].Fresh {
			if winner != nil {
				t.Fatalf("two fresh reservations: %s and %s", winner.ID, results[i].ID)
			}
			winner = &results[i]
		}
	}
	if winner == nil {
		t.Fatal("no fresh reservation")
	}
	for i, r := range results {
		if !r.Fresh && (r.ID != winner.ID || r.Fingerprint != winner.Fingerprint) {
			t.Errorf("loser %d sees %s, want winner %s", i, r.ID, winner.ID)
		}
	}
}

// Across a restart: a claim whose request stored a record still holds; a claim whose holder died
// before storing anything is taken over, so the client's retry runs instead of hanging forever.
func TestReserveAfterRestart(t *testing.T) {
	fp := sha256.Sum256([]byte("body"))
	dir := t.TempDir()
	s := openTest(t, dir, 0)
	for _, k := range []string{"with-record", "without-record"} {
		if _, err := s.Reserve("o", k, fp, "resp_"+k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(rec("resp_with-record", "queued", 1), true); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()

	s = openTest(t, dir, 0)
	cases := []struct {
		key  string
		want Reservation
	}{
		{"with-record", Reservation{ID: "resp_with-record", Fingerprint: fp}},
		{"without-record", Reservation{Fresh: true, ID: "resp_new", Fingerprint: fp}},
	}
	for _, tc := range cases {
		got, err := s.Reserve("o", tc.key, fp, "resp_new")
		if err != nil || got != tc.want {
			t.Errorf("%s: Reserve = %+v, %v; want %+v", tc.key, got, err, tc.want)
		}
	}
	// The takeover is a claim of this incarnation: it now holds.
	got, err := s.Reserve("o", "without-record", fp, "resp_newer")
	if err != nil || got.Fresh || got.ID != "resp_new" {
		t.Errorf("after takeover: Reserve = %+v, %v; want held by resp_new", got, err)
	}
}
