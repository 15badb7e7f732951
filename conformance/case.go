package conformance

import (
	"context"
	"fmt"
	"strings"
)

// Surface is one API of the matrix; --surface selects cases by it.
type Surface string

const (
	Responses Surface = "responses"
	Chat      Surface = "chat"
	Messages  Surface = "messages"
	Batch     Surface = "batch"
)

// Surfaces lists every surface in the document's order.
var Surfaces = []Surface{Responses, Chat, Messages, Batch}

// ParseSurfaces reads a comma-separated list such as "responses,chat".
func ParseSurfaces(s string) ([]Surface, error) {
	var out []Surface
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		ok := false
		for _, k := range Surfaces {
			if string(k) == f {
				out, ok = append(out, k), true
			}
		}
		if !ok {
			return nil, fmt.Errorf("unknown surface %q (want responses, chat, messages or batch)", f)
		}
	}
	return out, nil
}

// Section is a heading of the support matrix; the report groups cases by it, in this order.
type Section string

const (
	SecSurfaces        Section = "Surfaces"
	SecRespSupported   Section = "Responses API: Supported features"
	SecRespRejected    Section = "Responses API: Not yet supported"
	SecChatSupported   Section = "Chat Completions API: Supported features"
	SecChatRejected    Section = "Chat Completions API: Not yet supported"
	SecChatNotes       Section = "Chat Completions API: Response notes"
	SecMsgSupported    Section = "Anthropic Messages API: Supported features"
	SecMsgRejected     Section = "Anthropic Messages API: Not yet supported"
	SecMsgNotes        Section = "Anthropic Messages API: Response notes"
	SecMsgCompat       Section = "Anthropic Messages API: Compatibility notes"
	SecCross           Section = "Cross-API behavior"
	SecBatch           Section = "Batch API (sail-facts.md)"
	sectionsInDocument         = 12
)

// Sections lists the sections in the document's order.
var Sections = [sectionsInDocument]Section{
	SecSurfaces, SecRespSupported, SecRespRejected, SecChatSupported, SecChatRejected, SecChatNotes,
	SecMsgSupported, SecMsgRejected, SecMsgNotes, SecMsgCompat, SecCross, SecBatch,
}

func sectionRank(s Section) int {
	for i, x := range Sections {
		if x == s {
			return i
		}
	}
	return len(Sections)
}

// Case is one executable check of one matrix row.
type Case struct {
	ID      string  // stable, e.g. "chat/reject/stream"; --only matches it
	Surface Surface // --surface selects by it
	Section Section // the document heading the row sits under
	Row     string  // the row (feature name or note) as the document words it
	Expect  string  // what the case asserts, in a line
	Run     func(ctx context.Context, c *Client) error
}

// All returns every case in the document's order.
func All() []Case {
	var out []Case
	for _, f := range []func() []Case{
		surfaceCases, responsesSupportedCases, responsesRejectedCases,
		chatSupportedCases, chatRejectedCases, chatNotesCases,
		messagesSupportedCases, messagesRejectedCases, messagesNotesCases, messagesCompatCases,
		crossCases, batchCases,
	} {
		out = append(out, f()...)
	}
	return out
}
