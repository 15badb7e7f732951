package jsonw

// The scanning primitives the validator (rules) and the translators share: both walk request
// bodies once, byte by byte, and must agree exactly on what valid JSON is.

import "math/bits"

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// StringStops marks, in each byte of the eight-byte little-endian word x, the high bit of a byte
// that ends or interrupts a plain run of string text: '"', '\\' or a control byte. Flipping bit 1
// maps '"' (0x22) to 0x20 and the control bytes onto themselves, so one "less than 0x21" test
// finds both. Borrows can mark bytes above a marked one, so only the lowest mark is exact; that
// is the one used.
func StringStops(x uint64) uint64 {
	y := x ^ (ones * 0x02)
	b := x ^ (ones * '\\')
	return (((y - ones*0x21) &^ y) | ((b - ones) &^ b)) & highs
}

// Load64 reads eight bytes of s from i as a little-endian word.
func Load64(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// ScanString checks the string that opens at s[i] ('"') and returns the index just past it and
// whether it holds escapes.
func ScanString(s string, i int) (end int, esc, ok bool) { return ScanStringRest(s, i+1) }

// ScanStringRest finishes a string from s[j], inside it, where plain text stopped: escapes,
// control bytes and the last few bytes of the body. It returns the index just past the string
// and whether it holds escapes.
func ScanStringRest(s string, j int) (end int, esc, ok bool) {
	for j < len(s) {
		if j+8 <= len(s) {
			m := StringStops(Load64(s, j))
			if m == 0 {
				j += 8
				continue
			}
			j += bits.TrailingZeros64(m) >> 3
		}
		switch c := s[j]; {
		case c == '"':
			return j + 1, esc, true
		case c == '\\':
			esc = true
			if j+1 >= len(s) {
				return j, esc, false
			}
			switch s[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+6 > len(s) || !isHex(s[j+2]) || !isHex(s[j+3]) || !isHex(s[j+4]) || !isHex(s[j+5]) {
					return j, esc, false
				}
				j += 6
			default:
				return j, esc, false
			}
		case c < 0x20:
			return j, esc, false
		default:
			j++
		}
	}
	return j, esc, false
}

func isHex(c byte) bool {
	return c-'0' < 10 || (c|0x20)-'a' < 6
}

// ScanNumber checks the number that starts at s[i] and returns the index just past it.
func ScanNumber(s string, i int) (int, bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i >= len(s):
		return i, false
	case s[i] == '0':
		i++
	case s[i]-'1' < 9:
		i = digits(s, i+1)
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func digits(s string, i int) int {
	for i < len(s) && s[i]-'0' < 10 {
		i++
	}
	return i
}

// Literal checks that lit (true, false, null) is written at s[i] and returns the index past it.
func Literal(s string, i int, lit string) (int, bool) {
	if len(s)-i >= len(lit) && s[i:i+len(lit)] == lit {
		return i + len(lit), true
	}
	return i, false
}
