package gen

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Write generates the trace of cfg into w as a pcap file (Ethernet link type,
// microsecond timestamps) and returns its ground truth.
func Write(w io.Writer, cfg Config) (Truth, error) {
	g, err := New(cfg)
	if err != nil {
		return Truth{}, err
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	pw := pcapgo.NewWriter(bw)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		return Truth{}, fmt.Errorf("write pcap header: %w", err)
	}
	for {
		frame, ts, ok := g.Next()
		if !ok {
			break
		}
		ci := gopacket.CaptureInfo{
			Timestamp:     time.Unix(0, ts),
			CaptureLength: len(frame),
			Length:        len(frame),
		}
		if err := pw.WritePacket(ci, frame); err != nil {
			return Truth{}, fmt.Errorf("write packet %d: %w", g.truth.Total.Packets, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return Truth{}, fmt.Errorf("write pcap: %w", err)
	}
	return g.Truth(), nil
}

// WriteFile generates the trace of cfg into the pcap file at path, replacing it.
func WriteFile(path string, cfg Config) (Truth, error) {
	f, err := os.Create(path)
	if err != nil {
		return Truth{}, fmt.Errorf("create trace: %w", err)
	}
	truth, err := Write(f, cfg)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", path, cerr)
	}
	if err != nil {
		return Truth{}, fmt.Errorf("%s: %w", path, err)
	}
	return truth, nil
}
