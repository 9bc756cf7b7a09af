// Package unirec implements NEMEA's UniRec record format as UniRec 3.5 defines it:
// the field types, template strings and their canonical field order, the byte layout
// of a record, typed accessors that read and write records without allocating, the
// text forms of addresses and times, and the CSV dialect that the NEMEA logger prints
// and logreplay reads.
//
// Everything here is byte-compatible with the C library; docs/trap-unirec-spec.md
// (§7 and §8) is the reference, and testdata/trap holds files made by the C tools.
// Integers are little-endian, as the C code writes them on every platform NEMEA runs on.
package unirec
