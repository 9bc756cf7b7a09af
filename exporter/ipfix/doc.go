// Package ipfix exports finished flows as IPFIX (RFC 7011) biflow records (RFC 5103)
// over UDP, TCP or TLS, in the manner of ipfixprobe's (NEMEA) basic biflow records:
// one template for IPv4 flows and one for IPv6 flows, with the reverse counters under
// private enterprise 29305, and the VLAN ID of the flow key besides. Options.Tunnels
// adds templates for flows decapsulated from GRE and VXLAN, which carry the tunnel's
// ID.
//
// The element definitions (numbers, types, lengths) come from the IANA registry that
// github.com/vmware/go-ipfix embeds. Templates and data records are encoded here,
// straight into the message buffer, for two reasons:
//
//   - go-ipfix refuses values of the dateTimeMicroseconds type, so it cannot write
//     flowStartMicroseconds and flowEndMicroseconds at all;
//   - its data record path goes through one interface value per field. Measured on
//     a 2-vCPU AMD EPYC with BenchmarkEncode (encode_bench_test.go), tunnel
//     templates included: this package's encoder takes 14 to 19 ns per record and
//     allocates nothing; go-ipfix takes 210 to 245 ns with its elements allocated
//     once and reused, and 770 to 860 ns and 22 allocations per record when they
//     are built per record, as its examples do. BenchmarkEncodeRatio, which
//     interleaves both on the same records in the millisecond layout, puts go-ipfix
//     about 21 times slower (on a busy machine, earlier, 20 to 28).
//
// TestGoIPFIXEncodesTheSameBytes checks that both produce the same bytes for the
// millisecond layout, which go-ipfix can write, tunnel templates included.
//
// The transports are written here as well, because go-ipfix neither reconnects a
// closed TCP session nor resends templates on a new one, and because the message
// layout (several data sets per message, sequence numbers per transport session)
// has to be under this package's control for the packing to be exact.
//
// An Exporter is not safe for concurrent use; the flow engine calls it from one
// goroutine, as the flow.Exporter contract says.
package ipfix
