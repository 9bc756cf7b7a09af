// Package pcapfile reads pcap and pcapng trace files (optionally gzip-compressed) as a
// capture.Source with one worker. Frames are handed out of one reused buffer, so
// reading allocates nothing per packet, and the handler's clock is the packet time.
//
// The file format is detected from its magic number; the record layouts themselves are
// decoded by gopacket's pcapgo.
package pcapfile
