// Package pcapfile reads pcap and pcapng trace files (optionally gzip-compressed) as a
// capture.Source with one worker. Frames are handed out of reused buffers, so reading
// allocates nothing per packet, and the handler's clock is the packet time.
//
// The file format is detected from its magic number. Records of classic pcap and
// packet blocks of pcapng are sliced straight out of the file mapped into memory, or
// out of a large read buffer when the file cannot be mapped (a pipe, a gzip stream).
package pcapfile
