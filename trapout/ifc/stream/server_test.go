package stream

import (
	"bytes"
	"os"
	"testing"
)

// TestServerMatchesGolden feeds the captured records to our server and checks that a
// client receives the very bytes the C server sent.
func TestServerMatchesGolden(t *testing.T) {
	unixBin, err := os.ReadFile(goldenDir + "unix_stream.bin")
	if err != nil {
		t.Fatal(err)
	}
	buffered := serverStream(t, "tcp_session.pcap")
	unbuffered := serverStream(t, "tcp_session_nobuf.pcap")
	format, msgs, _ := splitStream(t, buffered)

	tests := []struct {
		spec string
		want []byte
	}{
		{"t:0", buffered},
		{"u:golden", unixBin},
		{"t:0:buffer=off", unbuffered},
		{"u:golden:buffer=off", unbuffered},
		{"t:0:buffer_count=1:autoflush=off", buffered},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			srv := startServer(t, tt.spec)
			if err := srv.SetFormat(format); err != nil {
				t.Fatal(err)
			}
			got := readAll(dialRaw(t, srv))
			for _, m := range msgs {
				if err := srv.Send(m); err != nil {
					t.Fatal(err)
				}
			}
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
			b := <-got
			if !bytes.Equal(b, tt.want) {
				t.Fatalf("stream differs from the C server's: got %d bytes, want %d\n"+
					"first difference at byte %d", len(b), len(tt.want), firstDiff(b, tt.want))
			}
		})
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
