// Package ipfix exports finished flows as IPFIX (RFC 7011) biflow records (RFC 5103)
// over UDP or TCP, in the layout NEMEA's ipfixprobe sends: one template for IPv4 flows
// and one for IPv6 flows, with the reverse counters under private enterprise 29305.
//
// The element definitions (numbers, types, lengths) come from the IANA registry that
// github.com/vmware/go-ipfix embeds. Templates and data records are encoded here,
// straight into the message buffer, for two measured reasons:
//
//   - go-ipfix refuses values of the dateTimeMicroseconds type, so it cannot write
//     flowStartMicroseconds and flowEndMicroseconds at all;
//   - its data record path goes through one interface value per field. With the
//     elements allocated once and reused, BenchmarkEncode/go-ipfix still runs about
//     4.5 times slower per record than BenchmarkEncode/direct on the same records (see
//     encode_bench_test.go), and in the ordinary use of its API (new elements per
//     record) it allocates about 20 times per record where this package allocates
//     nothing.
//
// The transports are written here as well, because go-ipfix neither reconnects a
// closed TCP session nor resends templates on a new one, and it treats an ICMP port
// unreachable on UDP as a fatal write error.
//
// An Exporter is not safe for concurrent use; the flow engine calls it from one
// goroutine, as the flow.Exporter contract says.
package ipfix
