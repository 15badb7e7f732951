package sim

import (
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// directives are the [sim:…] steering marks of the last user message (see the package doc).
type directives struct {
	tokens    int // [sim:tokens=N], when hasTokens
	hasTokens bool
	tool      bool   // [sim:tool] or [sim:tool=NAME]
	toolName  string // NAME of [sim:tool=NAME]
	errorSt   int    // [sim:error=STATUS]; 0 → not set
	hang      bool
	slow      bool
	delay     time.Duration
}

const directivePrefix = "[sim:"

func parseDirectives(content gjson.Result) directives {
	var d directives
	eachText(content, func(s string) {
		for {
			i := strings.Index(s, directivePrefix)
			if i < 0 {
				return
			}
			s = s[i+len(directivePrefix):]
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return
			}
			d.apply(s[:end])
			s = s[end+1:]
		}
	})
	return d
}

// apply records one directive body ("tokens=12"); unknown or malformed ones are ignored, as a
// model would ignore odd text.
func (d *directives) apply(body string) {
	key, val, _ := strings.Cut(body, "=")
	switch key {
	case "tokens":
		if n, err := strconv.Atoi(val); err == nil && n >= 0 && n <= maxModelLen {
			d.tokens, d.hasTokens = n, true
		}
	case "tool":
		d.tool, d.toolName = true, val
	case "error":
		if st, err := strconv.Atoi(val); err == nil && st >= 400 && st <= 599 {
			d.errorSt = st
		}
	case "hang":
		d.hang = true
	case "slow":
		d.slow = true
	case "delay":
		if dur, err := time.ParseDuration(val); err == nil && dur > 0 && dur <= time.Hour {
			d.delay = dur
		}
	}
}
