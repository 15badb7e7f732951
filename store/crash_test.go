package store

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

const (
	helperEnvDir = "SAILSHIM_STORE_HELPER_DIR"
	crashWriters = 4
	crashAcks    = 300 // acknowledged Puts the parent waits for before killing the child
)

// crashRecord is record n of the crash test: a mix of pending and terminal records, so the
// pending index is checked both ways.
func crashRecord(n int) *Record {
	status := "queued"
	if n%3 == 2 {
		status = "completed"
	}
	return rec("resp_"+strconv.Itoa(n), status, int64(n))
}

// TestHelperProcess is the child half of TestDurablePutSurvivesSIGKILL: it Puts durable records
// from several goroutines and reports each one on stdout only after Put has returned, until the
// parent kills it.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperEnvDir)
	if dir == "" {
		t.Skip("child process of TestDurablePutSurvivesSIGKILL")
	}
	s, err := Open(Config{Dir: dir})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	var out sync.Mutex
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			for n := w; n < 1_000_000; n += crashWriters {
				if err := s.Put(crashRecord(n), true); err != nil {
					fmt.Println("put:", err)
					os.Exit(2)
				}
				out.Lock()
				fmt.Fprintf(os.Stdout, "ack %d\n", n)
				out.Unlock()
			}
		})
	}
	wg.Wait()
	os.Exit(3) // the parent should have killed us long before
}

func TestDurablePutSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnvDir+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int]bool{}
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ack "))
		if err != nil {
			t.Fatalf("child: %s", sc.Text())
		}
		acked[n] = true
		// Kill mid-stream while the writers are busy; lines already in the pipe are acks too.
		if !killed && len(acked) >= crashAcks {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred code, no Close
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited on its own: %v", err)
	}

	s := openTest(t, dir, 0)
	wantPending := map[string]bool{}
	for n := range acked {
		r := crashRecord(n)
		got, err := s.Get(r.ID)
		if err != nil {
			t.Fatalf("acknowledged %s lost: %v", r.ID, err)
		}
		if !reflect.DeepEqual(got, want(r)) {
			t.Fatalf("acknowledged %s = %+v, want %+v", r.ID, got, want(r))
		}
		if !r.Terminal() {
			wantPending[r.ID] = true
		}
	}
	var prev int64 = -1
	err = s.Pending(func(r *Record) bool {
		if r.CreatedAt < prev {
			t.Errorf("pending out of order: %s after CreatedAt %d", r.ID, prev)
		}
		prev = r.CreatedAt
		delete(wantPending, r.ID) // unacknowledged in-flight records may show up too
		if r.Terminal() {
			t.Errorf("terminal %s listed as pending", r.ID)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(wantPending) > 0 {
		t.Errorf("%d acknowledged pending records missing from the index", len(wantPending))
	}
	t.Logf("%d acknowledged durable Puts survived SIGKILL", len(acked))
}

// SIGKILL keeps whatever reached the OS page cache, so it cannot tell an fsync from a write.
// A crashable in-memory filesystem can: its crash clone keeps only synced data, as a power loss
// would. Each case runs alone on a fresh filesystem so no later sync covers for a missing one.
func TestDurableWritesSurvivePowerLoss(t *testing.T) {
	fp := [32]byte{1}
	cases := []struct {
		name  string
		write func(*Store) error
		check func(*Store) error
	}{
		{"durable records and pending index",
			func(s *Store) error {
				for n := range 20 {
					if err := s.Put(crashRecord(n), true); err != nil {
						return err
					}
				}
				return nil
			},
			func(s *Store) error {
				var wantPending []string
				for n := range 20 {
					r := crashRecord(n)
					got, err := s.Get(r.ID)
					if err != nil || !reflect.DeepEqual(got, want(r)) {
						return fmt.Errorf("%s = %+v, %v", r.ID, got, err)
					}
					if !r.Terminal() {
						wantPending = append(wantPending, r.ID)
					}
				}
				var pending []string
				_ = s.Pending(func(r *Record) bool { pending = append(pending, r.ID); return true })
				if !reflect.DeepEqual(pending, wantPending) {
					return fmt.Errorf("pending = %q, want %q", pending, wantPending)
				}
				return nil
			}},
		{"reservation",
			func(s *Store) error { _, err := s.Reserve("o", "k", fp, "resp_0"); return err },
			func(s *Store) error {
				// A record keeps the claim alive across the restart; without one it would be
				// taken over, which would look like survival too.
				_ = s.Put(rec("resp_0", "queued", 1), true)
				res, err := s.Reserve("o", "k", fp, "resp_other")
				if err != nil || res.Fresh || res.ID != "resp_0" {
					return fmt.Errorf("reservation = %+v, %v", res, err)
				}
				return nil
			}},
		{"forget",
			func(s *Store) error {
				if _, err := s.Reserve("o", "k", fp, "resp_0"); err != nil {
					return err
				}
				if err := s.Put(rec("resp_0", "queued", 1), true); err != nil {
					return err
				}
				return s.Forget("o", "k")
			},
			func(s *Store) error {
				res, err := s.Reserve("o", "k", fp, "resp_new")
				if err != nil || !res.Fresh {
					return fmt.Errorf("after durable Forget: Reserve = %+v, %v", res, err)
				}
				return nil
			}},
		{"kv put",
			func(s *Store) error { return s.KVPut("outbox", "resp_0", []byte("x"), true) },
			func(s *Store) error {
				if v, err := s.KVGet("outbox", "resp_0"); err != nil || string(v) != "x" {
					return fmt.Errorf("KVGet = %q, %v", v, err)
				}
				return nil
			}},
		{"kv delete",
			func(s *Store) error {
				if err := s.KVPut("outbox", "resp_0", []byte("x"), false); err != nil {
					return err
				}
				// Sync the put by other means, so only the delete's own durability is tested.
				if err := s.db.LogData(nil, pebble.Sync); err != nil {
					return err
				}
				return s.KVDelete("outbox", "resp_0", true)
			},
			func(s *Store) error {
				if v, err := s.KVGet("outbox", "resp_0"); err == nil {
					return fmt.Errorf("deleted entry is back: %q", v)
				}
				return nil
			}},
		// The converse shows durable=false really skips the fsync (the point of the switch), not
		// that losing the write is desirable.
		{"non-durable put is not fsynced",
			func(s *Store) error { return s.Put(rec("resp_nosync", "queued", 1), false) },
			func(s *Store) error {
				if _, err := s.Get("resp_nosync"); err == nil {
					return fmt.Errorf("non-durable Put survived power loss: durable=false is fsyncing")
				}
				return nil
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := vfs.NewCrashableMem()
			s, err := Open(Config{Dir: "/data", fs: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := tc.write(s); err != nil {
				t.Fatal(err)
			}
			crashed := mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
			after, err := Open(Config{Dir: "/data", fs: crashed})
			if err != nil {
				t.Fatal(err)
			}
			defer after.Close()
			if err := tc.check(after); err != nil {
				t.Error(err)
			}
		})
	}
}
