package ifc

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Setenv("TRAP_SOCKET_DIR", "/run/trapdir")
	def := func(s Spec) Spec {
		if s.Timeout == 0 && !s.TimeoutFixed {
			s.Timeout = Wait
		}
		if s.Autoflush == 0 && !s.AutoflushFixed {
			s.Autoflush = DefaultAutoflush
		}
		if !s.BufferedFixed {
			s.Buffered = true
		}
		if s.MaxClients == 0 {
			s.MaxClients = DefaultMaxClients
		}
		if s.BufferCount == 0 {
			s.BufferCount = DefaultBufferCount
		}
		if s.BufferSize == 0 {
			s.BufferSize = DefaultBufferSize
		}
		return s
	}
	tests := []struct {
		spec    string
		in, out int
		want    []Spec
	}{
		{"t:12345", 0, 1, []Spec{{Kind: TCP, Port: "12345", Params: "12345"}}},
		{"t:12345:buffer=off:autoflush=off", 0, 1, []Spec{{Kind: TCP, Port: "12345",
			Params: "12345", BufferedFixed: true, Autoflush: -1, AutoflushFixed: true}}},
		{"t:buffer=off:12345:max_clients=3:buffer_size=5000:buffer_count=7", 0, 1,
			[]Spec{{Kind: TCP, Port: "12345", BufferedFixed: true,
				Params:     "12345:max_clients=3:buffer_size=5000:buffer_count=7",
				MaxClients: 3, BufferSize: 5000, BufferCount: 7}}},
		{"t:localhost:12345", 1, 0, []Spec{{Kind: TCP, Input: true, Host: "localhost",
			Port: "12345", Params: "localhost:12345"}}},
		{"t:12345:timeout=NO_WAIT", 1, 0, []Spec{{Kind: TCP, Input: true, Host: "localhost",
			Port: "12345", Params: "12345", Timeout: NoWait, TimeoutFixed: true}}},
		{"t:http:timeout=HALF_WAIT", 0, 1, []Spec{{Kind: TCP, Port: "http", Params: "http",
			Timeout: HalfWait, TimeoutFixed: true}}},
		{"u:sock:timeout=0x10,u:out:autoflush=010:timeout=500", 1, 1, []Spec{
			{Kind: UNIX, Input: true, Name: "sock", Params: "sock",
				SocketPath: "/run/trapdir/trap-sock.sock", Timeout: 16, TimeoutFixed: true},
			{Kind: UNIX, Name: "out", Params: "out", SocketPath: "/run/trapdir/trap-out.sock",
				Autoflush: 8 * time.Microsecond, AutoflushFixed: true, Timeout: 500,
				TimeoutFixed: true}}},
		{"u:ignored:name", 1, 0, []Spec{{Kind: UNIX, Input: true, Name: "name",
			Params: "ignored:name", SocketPath: "/run/trapdir/trap-name.sock"}}},
		{"T:host:1:k:c:ca", 1, 0, []Spec{{Kind: TLS, Input: true, Host: "host", Port: "1",
			KeyFile: "k", CertFile: "c", CAFile: "ca", Params: "host:1:k:c:ca"}}},
		{"T:1:k:c:ca", 1, 0, []Spec{{Kind: TLS, Input: true, Host: "localhost", Port: "1",
			KeyFile: "k", CertFile: "c", CAFile: "ca", Params: "1:k:c:ca"}}},
		{"T:1:k:c:ca:max_clients=100", 0, 1, []Spec{{Kind: TLS, Port: "1", KeyFile: "k",
			CertFile: "c", CAFile: "ca", Params: "1:k:c:ca:max_clients=100",
			MaxClients: 100}}},
		{"f:/tmp/x.trapcap:time=5:buffer=off,b:", 0, 2, []Spec{
			{Kind: File, Params: "/tmp/x.trapcap:time=5", BufferedFixed: true},
			{Kind: Blackhole, Index: 1}}},
		{"f:a.trapcap,b", 0, 2, []Spec{{Kind: File, Params: "a.trapcap"},
			{Kind: Blackhole, Index: 1}}},
		{"f:in.trapcap,t:1", -1, 1, []Spec{{Kind: File, Input: true, Params: "in.trapcap"},
			{Kind: TCP, Port: "1", Params: "1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := Parse(tt.spec, tt.in, tt.out)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d interfaces, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if w := def(tt.want[i]); got[i] != w {
					t.Errorf("IFC %d:\n got %+v\nwant %+v", i, got[i], w)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		spec    string
		in, out int
		want    string
	}{
		{"", 0, 1, "empty"},
		{"t:1,t:2", 0, 1, "bad number of IFCs: got 2"},
		{"t:1", 1, 1, "bad number of IFCs: got 1"},
		{"g:5:hello", 1, 0, "generator interface 'g' is not supported"},
		{"s:x", 1, 0, "no implementation"},
		{"x:1", 1, 0, `unsupported interface type "x"`},
		{"b:", 1, 0, "only be an output"},
		{"b:x", 0, 1, "takes no parameters"},
		{"tx", 0, 1, "must be followed by ':'"},
		{"t:0", 0, 1, `port "0"`},
		{"t:70000", 0, 1, `port "70000"`},
		{"t:", 0, 1, "wants a port"},
		{"t:a:b:c", 1, 0, "got 3 parameters"},
		{"t:1:max_clients=65", 0, 1, `"max_clients=65": want 1 to 64`},
		{"t:1:buffer_size=100001", 0, 1, `"buffer_size=100001"`},
		{"t:1:buffer_size=10", 0, 1, `"buffer_size=10"`},
		{"t:1:buffer_count=0", 0, 1, `"buffer_count=0"`},
		{"t:1:buffer_count=x", 0, 1, "want name=number"},
		{"t:1:colour=blue", 0, 1, `unknown option "colour=blue"`},
		{"t:1:timeout=SOON", 0, 1, "timeout=SOON: want WAIT"},
		{"t:1:timeout=HALF_WAIT", 1, 0, "HALF_WAIT applies only to outputs"},
		{"t:1:timeout=-5", 0, 1, "timeout=-5"},
		{"t:1:timeout=09", 0, 1, "timeout=09"},
		{"t:1:buffer=maybe", 0, 1, "buffer=maybe: want on or off"},
		{"t:1:buffer=off", 1, 0, "buffer= applies only to outputs"},
		{"t:1:autoflush=never", 0, 1, "autoflush=never"},
		{"u:", 0, 1, "wants a socket name"},
		{"u:a/b", 0, 1, `invalid socket name "a/b"`},
		{"T:1:k:c", 0, 1, "got 3 parameters"},
		{"T:1:k::ca", 1, 0, "empty certfile"},
		{"f:", 0, 1, "needs a path"},
		{"t:1,,t:2", 0, 3, "IFC 1 \"\": empty interface"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := Parse(tt.spec, tt.in, tt.out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSocketPathDefault(t *testing.T) {
	t.Setenv("TRAP_SOCKET_DIR", "")
	if p := SocketPath("goldsock"); p != "/tmp/trap-goldsock.sock" {
		t.Fatalf("got %s, want /tmp/trap-goldsock.sock", p)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"t:12345", "u:a:buffer=off:autoflush=0x10,t:h:1:timeout=5",
		"T:1:k:c:ca:max_clients=3", "f:x:time=5:size=1,b:", "g:3:abc", "t:buffer=on"} {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, spec string, in int) {
		in = in & 3
		specs, err := Parse(spec, in, -1)
		if err != nil {
			return
		}
		for _, s := range specs {
			if s.Kind != TCP && s.Kind != UNIX && s.Kind != TLS && s.Kind != File &&
				s.Kind != Blackhole {
				t.Fatalf("accepted kind %q", s.Kind)
			}
			if s.BufferSize < MinBufferSize || s.BufferSize > DefaultBufferSize {
				t.Fatalf("accepted buffer size %d", s.BufferSize)
			}
		}
	})
}
