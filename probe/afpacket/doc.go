// Package afpacket captures live frames from a Linux interface through AF_PACKET
// sockets with TPACKET_V3 rings: the kernel writes frames into memory-mapped blocks
// that the workers read in place, without a system call or a copy per frame.
//
// With several workers, each worker has its own socket and ring, and the sockets form
// one PACKET_FANOUT group in hash mode. The kernel's fanout hash is symmetric, so both
// directions of a connection land on the same worker and each worker's flow cache sees
// whole biflows. Non-first IP fragments carry no ports, so the kernel hashes them on
// addresses alone and they can land on another worker than the rest of their flow.
//
// It is written directly on golang.org/x/sys/unix rather than on gopacket's afpacket
// package, because that package takes a mutex per frame, allocates for every frame
// with a VLAN tag (its AncillaryData), can only be stopped by waiting out its poll
// timeout, and leaves fanout group ids to the caller. Filter expressions in tcpdump
// syntax are compiled by running tcpdump, which is libpcap's own compiler; see
// Options.Filter.
package afpacket
