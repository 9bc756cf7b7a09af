// Package wire encodes and decodes the bytes libtrap puts on a socket: the format
// hello an output sends first, the 14-byte container header, and the messages packed
// in a container. It also holds the input side's format negotiation. It does no I/O.
package wire
