package webhook

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestRefusedReason(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" → allowed
	}{
		{"203.0.113.7", ""},
		{"8.8.8.8", ""},
		{"2001:4860:4860::8888", ""},
		{"100.63.255.255", ""},
		{"100.128.0.0", ""},
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"fc00::1", "private"},
		{"fd12:3456::1", "private"},
		{"::ffff:10.0.0.1", "private"},
		{"169.254.1.1", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"169.254.169.254", "metadata"},
		{"::ffff:169.254.169.254", "metadata"},
		{"169.254.170.2", "metadata"},
		{"fd00:ec2::254", "metadata"},
		{"100.100.100.200", "metadata"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"100.64.0.1", "shared address space (CGNAT)"},
		{"198.18.0.1", "reserved"},
		{"240.0.0.1", "reserved"},
		{"::127.0.0.1", "reserved"},
		{"64:ff9b::7f00:1", "loopback (embedded IPv4)"},
		{"64:ff9b::a9fe:a9fe", "metadata (embedded IPv4)"},
		{"64:ff9b::cb00:7107", ""},
		{"2002:c0a8:0101::1", "private (embedded IPv4)"},
		{"2002:cb00:7107::1", ""},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			if got := refusedReason(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("refusedReason(%s) = %q, want %q", tc.addr, got, tc.want)
			}
		})
	}
}

func TestRefusedName(t *testing.T) {
	for _, h := range []string{"metadata.google.internal", "METADATA.Google.Internal", "metadata.google.internal."} {
		if !refusedName(h) {
			t.Errorf("refusedName(%q) = false", h)
		}
	}
	if refusedName("metadata.google.internal.example.com") {
		t.Error("refused an unrelated name")
	}
}

// The dialer refuses by every resolved address, before any connection is attempted.
func TestGuardedDialerRefuses(t *testing.T) {
	g := newGuardedDialer(time.Second, nil, false)
	tests := []struct {
		name, addr, reason string
	}{
		{"loopback literal", "127.0.0.1:80", "loopback"},
		{"ipv6 loopback", "[::1]:80", "loopback"},
		{"private literal", "10.0.0.1:443", "private"},
		{"metadata ip", "169.254.169.254:80", "metadata"},
		{"metadata name", "metadata.google.internal:80", "metadata"},
		{"localhost by name", "localhost:80", "loopback"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := g.DialContext(context.Background(), "tcp", tc.addr)
			if err == nil {
				c.Close()
				t.Fatal("dial succeeded")
			}
			re, ok := isRefused(err)
			if !ok {
				t.Fatalf("error %v is not a refusal", err)
			}
			if re.Reason != tc.reason {
				t.Errorf("reason %q, want %q", re.Reason, tc.reason)
			}
		})
	}
}

// The Control hook is the second line: even a dial that skipped the pre-check is refused at the
// socket.
func TestControlRefused(t *testing.T) {
	d := net.Dialer{Control: controlRefused, Timeout: time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := d.Dial("tcp", ln.Addr().String())
	if err == nil {
		c.Close()
		t.Fatal("dial to loopback succeeded")
	}
	if _, ok := isRefused(err); !ok {
		t.Fatalf("error %v is not a refusal", err)
	}
}

func BenchmarkRefusedReason(b *testing.B) {
	a := netip.MustParseAddr("2001:4860:4860::8888")
	b.ReportAllocs()
	for b.Loop() {
		if refusedReason(a) != "" {
			b.Fatal("refused")
		}
	}
}
