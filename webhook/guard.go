package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// RefusedError reports a delivery target the SSRF guard will not connect to. It is permanent:
// the same URL would be refused again, so the delivery is dropped rather than retried.
type RefusedError struct {
	Host   string // the host as named in the URL (or the address dialled)
	Addr   string // the offending resolved address, "" when refused by name
	Reason string // "loopback", "private", "link-local", "metadata", …
}

func (e *RefusedError) Error() string {
	if e.Addr == "" {
		return fmt.Sprintf("webhook: target %s refused (%s)", e.Host, e.Reason)
	}
	return fmt.Sprintf("webhook: target %s refused: %s is %s", e.Host, e.Addr, e.Reason)
}

// Metadata endpoints get their own reason (and are listed even where a broader range already
// covers them) so a refusal in the log says plainly what was being reached for.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack, …
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task metadata
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IMDS over IPv6
}

var metadataNames = []string{"metadata.google.internal"}

type namedPrefix struct {
	p      netip.Prefix
	reason string
}

// Ranges netip's predicates don't cover. Reserved and benchmark space is refused too: nothing
// legitimate receives webhooks there, and some of it routes to internal equipment.
var refusedPrefixes = []namedPrefix{
	{netip.MustParsePrefix("100.64.0.0/10"), "shared address space (CGNAT)"},
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/96"), "reserved"},    // IPv4-compatible IPv6, deprecated
	{netip.MustParsePrefix("fec0::/10"), "private"}, // site-local, deprecated
}

// Prefixes that embed an IPv4 address, which is what the packet finally reaches.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// refusedReason returns why a is not an acceptable webhook target, or "" if it is.
func refusedReason(a netip.Addr) string {
	a = a.WithZone("").Unmap()
	for _, m := range metadataAddrs {
		if a == m {
			return "metadata"
		}
	}
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsLoopback():
		return "loopback"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	for _, np := range refusedPrefixes {
		if np.p.Contains(a) {
			return np.reason
		}
	}
	if a.Is6() && (nat64Prefix.Contains(a) || sixToFour.Contains(a)) {
		b := a.As16()
		var v4 [4]byte
		if sixToFour.Contains(a) {
			copy(v4[:], b[2:6])
		} else {
			copy(v4[:], b[12:16])
		}
		if r := refusedReason(netip.AddrFrom4(v4)); r != "" {
			return r + " (embedded IPv4)"
		}
	}
	return ""
}

func refusedName(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	for _, n := range metadataNames {
		if h == n {
			return true
		}
	}
	return false
}

// guardedDialer resolves the target itself, checks every address it gets, and then dials those
// exact addresses, so a DNS answer that changes between check and connect (rebinding) never
// reaches a refused address. The Control hook re-checks the socket address as a second line.
type guardedDialer struct {
	dialer   net.Dialer
	resolver *net.Resolver
}

func newGuardedDialer(timeout time.Duration, resolver *net.Resolver, allowPrivate bool) *guardedDialer {
	g := &guardedDialer{
		dialer:   net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Resolver: resolver},
		resolver: resolver,
	}
	if !allowPrivate {
		g.dialer.Control = controlRefused
	}
	return g
}

func controlRefused(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Host: address, Reason: "unparseable address"}
	}
	if r := refusedReason(ap.Addr()); r != "" {
		return &RefusedError{Host: address, Addr: ap.Addr().String(), Reason: r}
	}
	return nil
}

// DialContext is the guarded replacement for net.Dialer.DialContext in the delivery transport.
func (g *guardedDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	if g.dialer.Control == nil { // AllowPrivate: no checks, ordinary resolution
		return g.dialer.DialContext(ctx, network, address)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if refusedName(host) {
		return nil, &RefusedError{Host: host, Reason: "metadata"}
	}
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if r := refusedReason(a); r != "" {
			// One bad answer refuses the host: a name that resolves partly inward is not a
			// third-party receiver, and trying the others would make the outcome luck.
			return nil, &RefusedError{Host: host, Addr: a.String(), Reason: r}
		}
	}
	var firstErr error
	for _, a := range addrs {
		c, err := g.dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

func (g *guardedDialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	r := g.resolver
	if r == nil {
		r = net.DefaultResolver
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return addrs, nil
}

// isRefused reports whether err (as wrapped by net/http) came from the guard.
func isRefused(err error) (*RefusedError, bool) {
	var re *RefusedError
	ok := errors.As(err, &re)
	return re, ok
}
