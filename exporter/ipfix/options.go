package ipfix

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"
)

// Transports an Exporter can send over.
const (
	UDP = "udp"
	TCP = "tcp"
)

// Defaults applied by New to the zero fields of Options.
const (
	DefaultMTU             = 1458
	DefaultTemplateRefresh = 300 * time.Second
	DefaultBufferRecords   = 65536
	DefaultReconnectMin    = 100 * time.Millisecond
	DefaultReconnectMax    = 30 * time.Second
	DefaultWriteTimeout    = 5 * time.Second
	DefaultCloseTimeout    = 5 * time.Second
)

// minMessage is the smallest message length that still holds the plain templates and
// one data record of any template; the tunnel templates need more, which New checks.
const minMessage = 512

// Options configures an Exporter. Every zero field takes the default named beside it.
type Options struct {
	// Address is the collector as host:port.
	Address string
	// Transport is UDP (the default) or TCP.
	Transport string
	// TLS, when set, wraps every TCP connection in TLS (RFC 7011 section 11) with
	// this configuration; it is an error with UDP. Default nil, plain TCP.
	TLS *tls.Config
	// ObservationDomainID goes into every message header; sequence numbers count
	// per observation domain. Default 0.
	ObservationDomainID uint32

	// MTU is the largest IPFIX message in bytes (the UDP or TCP payload, headers of
	// the lower layers not included). As many records are packed into a message as
	// fit. Default DefaultMTU (1458); at least 512.
	MTU int
	// Milliseconds selects flowStartMilliseconds/flowEndMilliseconds (152/153)
	// instead of the default flowStartMicroseconds/flowEndMicroseconds (154/155),
	// for collectors that do not know the microsecond elements: nfcapd 1.7 stores
	// flows with times 154/155 as having no time at all.
	Milliseconds bool
	// Tunnels adds templates for flows decapsulated from GRE and VXLAN, which carry
	// the tunnel's ID: greKey (296) or layer2SegmentId (351, the VNI with 0x01 in its
	// top byte). Without it such flows go out in the plain templates, the tunnel
	// left out. The templates then need an MTU of at least 636. A GRE header without
	// a key gives greKey 0, which a collector cannot tell from a key of 0 (nor can
	// the flow key). Default false.
	Tunnels bool

	// TemplateRefresh is how often, on UDP, the templates are sent again, so that a
	// collector started later learns them. Default DefaultTemplateRefresh (300 s).
	// TCP sends them once per connection instead.
	TemplateRefresh time.Duration
	// TemplateRefreshMessages, when above 0, also resends the templates on UDP after
	// that many data messages.
	TemplateRefreshMessages int

	// BufferRecords bounds, on TCP, how many records are kept while the collector is
	// unreachable; records beyond it are dropped and counted. Default
	// DefaultBufferRecords (65536, about 7 MB of IPv6 records).
	BufferRecords int
	// ReconnectMin and ReconnectMax bound the backoff between TCP connection
	// attempts; it starts at ReconnectMin and doubles up to ReconnectMax.
	// Defaults DefaultReconnectMin (100 ms) and DefaultReconnectMax (30 s).
	ReconnectMin, ReconnectMax time.Duration
	// WriteTimeout bounds one TCP write; a collector that stops reading for longer
	// is disconnected and reconnected. Default DefaultWriteTimeout (5 s).
	WriteTimeout time.Duration
	// CloseTimeout is how long Close waits, on TCP, for a connection to deliver the
	// records still buffered. Default DefaultCloseTimeout (5 s).
	CloseTimeout time.Duration

	// Now returns the wall clock for export times and template refresh; tests set it.
	// Default time.Now.
	Now func() time.Time
}

// withDefaults returns o with its zero fields set to the defaults, or an error naming
// the first field that is out of range.
func (o Options) withDefaults() (Options, error) {
	if o.Transport == "" {
		o.Transport = UDP
	}
	if o.Transport != UDP && o.Transport != TCP {
		return o, fmt.Errorf("ipfix: transport %q: want %q or %q", o.Transport, UDP, TCP)
	}
	if o.TLS != nil && o.Transport != TCP {
		return o, fmt.Errorf("ipfix: tls needs transport %q, not %q", TCP, o.Transport)
	}
	if _, _, err := net.SplitHostPort(o.Address); err != nil {
		return o, fmt.Errorf("ipfix: collector address %q: %w", o.Address, err)
	}
	if o.MTU == 0 {
		o.MTU = DefaultMTU
	}
	if o.MTU < minMessage || o.MTU > 65535 {
		return o, fmt.Errorf("ipfix: mtu %d: want %d to 65535", o.MTU, minMessage)
	}
	setDuration(&o.TemplateRefresh, DefaultTemplateRefresh)
	setDuration(&o.ReconnectMin, DefaultReconnectMin)
	setDuration(&o.ReconnectMax, DefaultReconnectMax)
	setDuration(&o.WriteTimeout, DefaultWriteTimeout)
	setDuration(&o.CloseTimeout, DefaultCloseTimeout)
	if o.ReconnectMax < o.ReconnectMin {
		o.ReconnectMax = o.ReconnectMin
	}
	if o.TemplateRefreshMessages < 0 {
		return o, fmt.Errorf("ipfix: template refresh messages %d: want 0 or more",
			o.TemplateRefreshMessages)
	}
	if o.BufferRecords == 0 {
		o.BufferRecords = DefaultBufferRecords
	}
	if o.BufferRecords < 0 {
		return o, fmt.Errorf("ipfix: buffer records %d: want 0 or more", o.BufferRecords)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}
