package store

import (
	"bytes"
	"strconv"
	"sync/atomic"
	"testing"
)

// benchRecord is a typical finished response: ~1 KB of object JSON.
func benchRecord(n int, status string) *Record {
	r := rec("resp_"+strconv.Itoa(n), status, int64(n))
	r.Object = bytes.Repeat([]byte("x"), 1024)
	return r
}

func benchIDs(b *testing.B, s *Store, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		r := benchRecord(i, "completed")
		if err := s.Put(r, false); err != nil {
			b.Fatal(err)
		}
		ids[i] = r.ID
	}
	return ids
}

// BenchmarkGetHot is a poll of a record in the LRU: the path every GET /v1/responses/{id} takes.
func BenchmarkGetHot(b *testing.B) {
	s := openTest(b, b.TempDir(), 0)
	ids := benchIDs(b, s, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Get(ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetHotClone is what Get would cost if it returned a private copy instead of the shared
// record (why Get documents "do not modify" instead).
func BenchmarkGetHotClone(b *testing.B) {
	s := openTest(b, b.TempDir(), 0)
	ids := benchIDs(b, s, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r, err := s.Get(ids[i%len(ids)])
		if err != nil {
			b.Fatal(err)
		}
		_ = r.Clone()
	}
}

func BenchmarkGetHotParallel(b *testing.B) {
	s := openTest(b, b.TempDir(), 0)
	ids := benchIDs(b, s, 1000)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)) * 97
		for pb.Next() {
			if _, err := s.Get(ids[i%len(ids)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkGetCold misses the LRU every time (cache of 1, 1000 ids): Pebble read, copy, decode.
func BenchmarkGetCold(b *testing.B) {
	s := openTest(b, b.TempDir(), 1)
	ids := benchIDs(b, s, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Get(ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutNoSync is a sync request's stored copy: written to the WAL, no fsync waited for.
func BenchmarkPutNoSync(b *testing.B) {
	s := openTest(b, b.TempDir(), 0)
	r := benchRecord(0, "completed")
	b.ReportAllocs()
	b.SetBytes(int64(len(appendRecord(nil, r))))
	for i := 0; b.Loop(); i++ {
		r.ID = "resp_" + strconv.Itoa(i)
		if err := s.Put(r, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutDurable is a background job's record before its 202. serial pays one fsync per
// Put; parallel shows Pebble's group commit sharing each fsync among concurrent Puts (ns/op is
// wall time per Put, so it falls as more Puts share a sync).
func BenchmarkPutDurable(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		s := openTest(b, b.TempDir(), 0)
		r := benchRecord(0, "queued")
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.ID = "resp_" + strconv.Itoa(i)
			if err := s.Put(r, true); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s := openTest(b, b.TempDir(), 0)
		var next atomic.Int64
		b.ReportAllocs()
		b.SetParallelism(8) // 8×GOMAXPROCS writers, like many concurrent background requests
		b.RunParallel(func(pb *testing.PB) {
			r := benchRecord(0, "queued")
			for pb.Next() {
				r.ID = "resp_" + strconv.FormatInt(next.Add(1), 10)
				if err := s.Put(r, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkReserve(b *testing.B) {
	s := openTest(b, b.TempDir(), 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Reserve("kid_1", strconv.Itoa(i), [32]byte{}, "resp_"+strconv.Itoa(i)); err != nil {
			b.Fatal(err)
		}
	}
}
