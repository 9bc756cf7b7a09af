package testhost

import (
	"net"
	"net/netip"
	"testing"
)

func TestSeqFrameRoundTrip(t *testing.T) {
	a := &End{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 1},
		Addr: netip.MustParsePrefix("198.18.0.1/30")}
	b := &End{MAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
		Addr: netip.MustParsePrefix("198.18.0.2/30")}
	f, err := SeqFrame(a, b, 1000, 2000, 7, 41)
	if err != nil {
		t.Fatal(err)
	}
	if seq, ok := FrameSeq(f); !ok || seq != 41 {
		t.Fatalf("FrameSeq = %d, %v; want 41, true", seq, ok)
	}
	if !SetFrameSeq(f, 1<<31) {
		t.Fatal("SetFrameSeq did not find the sequence number")
	}
	if seq, _ := FrameSeq(f); seq != 1<<31 {
		t.Fatalf("after SetFrameSeq, FrameSeq = %d", seq)
	}
	other := make([]byte, len(f))
	if _, ok := FrameSeq(other); ok || SetFrameSeq(other, 1) {
		t.Error("a frame without the marker was taken for a test frame")
	}
}
