package pcapfile

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMatchesTshark compares the time, lengths and interface of every frame with what
// tshark, an independent reader, reports for the same file.
func TestMatchesTshark(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (hack/setup-test-host.sh installs it)")
	}
	files := []string{
		"ipfixprobe-vlan.pcapng",
		"ndpi-alexa-app.pcapng",
		"ndpi-kakaotalk-sll.pcap",
		"ndpi-ocs-rawip.pcap",
		"tcpdump-quic-handshake-truncated-null.pcap",
		"zeek-linux-sll2.pcap",
		"ipfixprobe-tls.pcap",
		"ndpi-gnutella.pcap",
	}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(testdataDir, name)
			out, err := exec.Command("tshark", "-n", "-r", path, "-T", "fields",
				"-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len",
				"-e", "frame.interface_id").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
			rec, err := readAll(t, path, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(lines) != len(rec.frames) {
				t.Fatalf("tshark sees %d frames, we delivered %d", len(lines), len(rec.frames))
			}
			for i, line := range lines {
				// tshark leaves the interface empty for pcap files, which have one.
				if strings.HasSuffix(line, "\t") {
					line += "0"
				}
				f := rec.frames[i]
				got := strings.Join([]string{epochString(f.Timestamp),
					strconv.Itoa(f.WireLen), strconv.Itoa(len(f.Data)),
					strconv.Itoa(int(f.IfIndex))}, "\t")
				if got != line {
					t.Fatalf("frame %d: got %q, tshark %q", i+1, got, line)
				}
			}
		})
	}
}

// epochString formats Unix nanoseconds the way tshark prints frame.time_epoch.
func epochString(ns int64) string {
	return strconv.FormatInt(ns/1e9, 10) + "." + strconv.FormatInt(1e9+ns%1e9, 10)[1:]
}

// TestRebuildsPcapFiles writes the delivered frames back in pcap format and expects
// every byte of each original file: contents, lengths and times all survive.
func TestRebuildsPcapFiles(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(testdataDir, "*.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := readAll(t, path, true)
			if err != nil {
				t.Fatal(err)
			}
			rebuilt := rebuildPcap(t, orig[:24], rec)
			if !bytes.Equal(rebuilt, orig) {
				n := 0
				for n < min(len(rebuilt), len(orig)) && rebuilt[n] == orig[n] {
					n++
				}
				t.Fatalf("rebuilt file differs from the original at byte %d", n)
			}
		})
	}
}

// rebuildPcap encodes frames as a pcap file with the given 24-byte file header.
func rebuildPcap(t *testing.T, header []byte, rec *recorder) []byte {
	t.Helper()
	var order binary.AppendByteOrder = binary.LittleEndian
	var fracDiv int64 = 1000
	switch binary.LittleEndian.Uint32(header) {
	case magicPcapMicro:
	case magicPcapNano:
		fracDiv = 1
	case magicPcapMicroBE:
		order = binary.BigEndian
	case magicPcapNanoBE:
		order, fracDiv = binary.BigEndian, 1
	default:
		t.Fatalf("unexpected magic % x", header[:4])
	}
	out := append([]byte(nil), header...)
	for _, f := range rec.frames {
		out = order.AppendUint32(out, uint32(f.Timestamp/1e9))
		out = order.AppendUint32(out, uint32(f.Timestamp%1e9/fracDiv))
		out = order.AppendUint32(out, uint32(len(f.Data)))
		out = order.AppendUint32(out, uint32(f.WireLen))
		out = append(out, f.Data...)
	}
	return out
}
