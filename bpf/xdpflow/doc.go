// Package xdpflow holds flowprobe's XDP fast path: the BPF program that parses frames up
// to L4 and counts them into per-CPU flow tables, its generated bindings, and the Go
// side that loads it, swaps its tables and reads them.
//
// Every frame the program sees ends in exactly one place: a flow table entry, an AF_XDP
// socket (Config.RedirectFirst), a ring buffer event (its table was full), the lost
// counter (table and ring buffer full), or an unparsed counter naming the reason.
// Counters.NotAccounted adds up all but the first, so a caller can prove that nothing
// was lost.
package xdpflow
