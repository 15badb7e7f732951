package sim

// words is the simulator's whole vocabulary: one word is one token, and a fixed list keeps replies
// stable across versions and platforms.
var words = [64]string{
	"the", "engine", "answers", "with", "simulated", "text", "about", "your", "request",
	"and", "every", "word", "counts", "as", "one", "token", "while", "a", "batch", "of",
	"sequences", "shares", "the", "cache", "so", "latency", "grows", "when", "load", "rises",
	"model", "replies", "stay", "deterministic", "for", "each", "conversation", "because",
	"they", "come", "from", "hash", "sail", "ships", "harbour", "wind", "tide", "anchor",
	"river", "signal", "lantern", "compass", "north", "quiet", "steady", "bright", "morning",
	"harvest", "garden", "stone", "bridge", "meadow", "silver", "amber",
}

// mix is splitmix64: a cheap, well-spread step for deriving a stream of numbers from one hash.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// fnv64 hashes b with FNV-1a; replies must not depend on the process, so no maphash.
func fnv64(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return h
}

const fnvOffset = 0xcbf29ce484222325

// appendWords appends a sentence of n words chosen by seed: the first capitalised, a full stop
// after the last.
func appendWords(dst []byte, seed uint64, n int) []byte {
	start := len(dst)
	dst = appendLower(dst, seed, n)
	if n > 0 {
		dst[start] -= 'a' - 'A'
		dst = append(dst, '.')
	}
	return dst
}

// appendLower appends n lower-case words separated by spaces, for values inside JSON.
func appendLower(dst []byte, seed uint64, n int) []byte {
	for i := 0; i < n; i++ {
		seed = mix(seed)
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, words[seed%uint64(len(words))]...)
	}
	return dst
}

// countWords counts whitespace-separated words: the simulator's tokenizer.
func countWords(s string) int {
	n := 0
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		space := c == ' ' || c == '\n' || c == '\t' || c == '\r'
		if !space && !inWord {
			n++
		}
		inWord = !space
	}
	return n
}

// jsonTokens counts generated JSON at one token per four bytes.
func jsonTokens(n int) int {
	return (n + 3) / 4
}

const hexDigits = "0123456789abcdef"

// appendHex32 appends 32 hex digits from two 64-bit values, the shape of vLLM's random_uuid().
func appendHex32(dst []byte, a, b uint64) []byte {
	for _, v := range [2]uint64{a, b} {
		for i := 60; i >= 0; i -= 4 {
			dst = append(dst, hexDigits[(v>>uint(i))&0xf])
		}
	}
	return dst
}
