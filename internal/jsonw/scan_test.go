package jsonw

import (
	"math/bits"
	"math/rand/v2"
	"testing"
)

// TestStringStops checks the eight-byte test against a byte-by-byte one: the lowest marked byte
// is the first '"', '\\' or control byte, for every byte value at every position, after every
// kind of byte below it.
func TestStringStops(t *testing.T) {
	stop := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	check := func(w [8]byte) {
		x := Load64(string(w[:]), 0)
		want := 8
		for k, c := range w {
			if stop(c) {
				want = k
				break
			}
		}
		got := 8
		if m := StringStops(x); m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if got != want {
			t.Fatalf("%q: first stop at %d, want %d", w[:], got, want)
		}
	}
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			for _, fill := range []byte{'a', ' ', '!', '#', 0x7f, 0x80, 0xff, 0x21, 0x1f, '"', '\\'} {
				var w [8]byte
				for k := range w {
					w[k] = fill
				}
				w[pos] = byte(c)
				check(w)
			}
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 200000 {
		var w [8]byte
		for k := range w {
			w[k] = byte(rng.IntN(256))
		}
		check(w)
	}
}
