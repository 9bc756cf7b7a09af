package ifc

import "time"

// Kind is the type character of an interface.
type Kind byte

// The interface types this implementation supports.
const (
	TCP       Kind = 't' // TCP socket: an input connects, an output listens
	UNIX      Kind = 'u' // UNIX stream socket with the same protocol as TCP
	TLS       Kind = 'T' // TCP inside TLS
	File      Kind = 'f' // trapcap file
	Blackhole Kind = 'b' // output that drops everything
)

// Timeout is a libtrap interface timeout in microseconds, or one of the special values
// Wait, NoWait and HalfWait.
type Timeout int64

// The special timeouts, with the numeric values libtrap gives them.
const (
	Wait     Timeout = -1 // block until data or a client is there
	NoWait   Timeout = 0  // never block
	HalfWait Timeout = -2 // output only: do not wait for clients, then behave as Wait
)

// Duration converts a finite timeout to a time.Duration; Wait and HalfWait give -1.
func (t Timeout) Duration() time.Duration {
	if t < 0 {
		return -1
	}
	return time.Duration(t) * time.Microsecond
}

// String returns the name a specifier uses for t.
func (t Timeout) String() string {
	switch t {
	case Wait:
		return "WAIT"
	case NoWait:
		return "NO_WAIT"
	case HalfWait:
		return "HALF_WAIT"
	}
	return time.Duration(t * 1000).String()
}

// Defaults of the socket outputs (libtrap's compile-time defaults).
const (
	DefaultMaxClients  = 64
	DefaultBufferCount = 50
	DefaultBufferSize  = 100000
	// DefaultAutoflush is how long a socket output keeps a partly filled container.
	DefaultAutoflush = 2 * time.Second
	// DefaultSocketDir is where UNIX sockets live unless TRAP_SOCKET_DIR says otherwise.
	DefaultSocketDir = "/tmp"
)

// MinBufferSize is the smallest buffer_size that holds a container header and one
// empty message.
const MinBufferSize = 14 + 2

// Spec is one parsed interface.
type Spec struct {
	Kind  Kind
	Input bool // true for an input IFC, false for an output
	Index int  // position among the interfaces of the same direction

	// Params is the parameter string after the setters were cut out; for File it is
	// what the trapcap file interface parses.
	Params string

	// Timeout applies to receiving on an input and to sending on an output.
	// TimeoutFixed is true when the specifier set it, so that a module's own choice
	// must not override it.
	Timeout      Timeout
	TimeoutFixed bool

	// Buffered is false with `buffer=off`: every message goes out in its own container.
	Buffered      bool
	BufferedFixed bool

	// Autoflush is how long a socket output may keep a non-empty container before it
	// sends it; a negative value turns autoflush off.
	Autoflush      time.Duration
	AutoflushFixed bool

	// Host and Port address a TCP or TLS peer; Host is empty on outputs, which listen
	// on every IPv4 address. Port is a number or a service name.
	Host, Port string
	// Name is the name of a UNIX socket and SocketPath the file it is bound to.
	Name, SocketPath string

	// Output sizing of socket outputs.
	MaxClients, BufferCount, BufferSize int

	// PEM files of a TLS interface.
	KeyFile, CertFile, CAFile string
}
