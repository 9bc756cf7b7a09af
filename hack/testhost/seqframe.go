package testhost

import (
	"bytes"
	"encoding/binary"
)

// seqMarker starts the payload of every frame SeqFrame builds, followed by a
// big-endian sequence number, so that test frames are told apart from anything else
// on the link.
var seqMarker = []byte("testhost-seq")

// SeqFrame builds the seq-th test frame of a run: a UDP4Frame whose payload carries
// seq, which FrameSeq reads back from a captured copy.
func SeqFrame(from, to *End, srcPort, dstPort, vlan uint16, seq uint32) ([]byte, error) {
	return UDP4Frame(from, to, srcPort, dstPort, vlan, SeqPayload(seq))
}

// SeqPayload returns the payload that SeqFrame puts in its frames, for tests that
// build their packets some other way.
func SeqPayload(seq uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), seqMarker...), seq)
}

// SetFrameSeq rewrites the sequence number of a frame in place and reports whether
// data is such a frame. Checksums over the payload go stale.
func SetFrameSeq(data []byte, seq uint32) bool {
	i := bytes.Index(data, seqMarker)
	if i < 0 || i+len(seqMarker)+4 > len(data) {
		return false
	}
	binary.BigEndian.PutUint32(data[i+len(seqMarker):], seq)
	return true
}

// FrameSeq returns the sequence number of a frame SeqFrame built, and false for any
// other frame.
func FrameSeq(data []byte) (uint32, bool) {
	i := bytes.Index(data, seqMarker)
	if i < 0 || i+len(seqMarker)+4 > len(data) {
		return 0, false
	}
	return binary.BigEndian.Uint32(data[i+len(seqMarker):]), true
}
