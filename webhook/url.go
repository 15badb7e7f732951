package webhook

import (
	"net/url"
	"strconv"
)

// maxURLLen bounds what is recorded per delivery; browsers and proxies commonly stop near 8 KiB
// and a webhook URL has no reason to be longer.
const maxURLLen = 8192

// ValidURL reports whether raw is an absolute http or https URL with a host (and, if given, a
// port in 1–65535). It is the rule the request path uses to decide whether to record a webhook
// at all; a URL failing it is ignored without affecting the request. Whether the host is an
// allowed target is decided later, at delivery time, because DNS answers change.
func ValidURL(raw string) bool {
	if raw == "" || len(raw) > maxURLLen {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" {
		return false
	}
	if u.Hostname() == "" {
		return false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return false
		}
	} else if len(u.Host) > 0 && u.Host[len(u.Host)-1] == ':' {
		return false // "host:" names no port; refuse rather than guess the default
	}
	return true
}
