package rules

import (
	"os"
	"path/filepath"
	"testing"
)

// Budget for BenchmarkValidateChat on the ~2 KB agent-turn body (system prompt, user and
// assistant turns with two tool calls and their results, two tools, metadata): well under 5 µs
// and under 10 allocations. The allocations left are Request.Model's copy; everything else is
// read in place.

func benchValidate(b *testing.B, s Surface, file string) {
	body, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		b.Fatal(err)
	}
	v := New(Config{})
	var r Request
	if err := v.Validate(s, body, &r); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Validate(s, body, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidateChat(b *testing.B) {
	benchValidate(b, Chat, "chat/valid_agent_turns.json")
}

func BenchmarkValidateResponses(b *testing.B) {
	benchValidate(b, Responses, "responses/valid_agents_sdk.json")
}

func BenchmarkValidateMessages(b *testing.B) {
	benchValidate(b, Messages, "messages/valid_blocks_metadata.json")
}

// TestValidateChatAllocations pins the allocation budget so that a regression fails the tests,
// not only the benchmark.
func TestValidateChatAllocations(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "chat", "valid_agent_turns.json"))
	if err != nil {
		t.Fatal(err)
	}
	v := New(Config{})
	var r Request
	allocs := testing.AllocsPerRun(100, func() {
		if err := v.Validate(Chat, body, &r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 3 {
		t.Fatalf("Validate(Chat) allocates %.0f times per request; budget 3", allocs)
	}
}
