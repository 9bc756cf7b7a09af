// Package pcapfile reads pcap and pcapng trace files (optionally gzip-compressed) as a
// capture.Source with one worker. Frames are handed out of reused buffers, so reading
// allocates nothing per packet, and the handler's clock is the packet time.
//
// The file format is detected from its magic number. Classic pcap records are sliced
// straight out of a memory mapping of the file, or, for pipes and compressed files,
// out of a large read buffer; pcapng blocks are decoded by gopacket's pcapgo. A
// mapped file that shrinks while it is read ends Run with an error.
package pcapfile
