// Package trapcap reads and writes trapcap files, the files of libtrap's f: interface
// (libtrap 1.18): a format hello, then buffers of length-prefixed messages. The
// writer rotates and names files exactly as libtrap does for the :a, :time= and
// :size= options. The layout is in docs/trap-unirec-spec.md §3 and §4.
package trapcap
