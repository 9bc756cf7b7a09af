package flowcache

import (
	"encoding/binary"
	"math/bits"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// Odd constants with well-mixed bits (the fractional digits of pi), so that a
// zero-valued word still contributes to the product.
const (
	seedA0 = 0x243f6a8885a308d3
	seedA1 = 0x13198a2e03707344
	seedB0 = 0xa4093822299f31d0
	seedB1 = 0x082efa98ec4e6c89
	seedX  = 0x452821e638d01377
	seedY  = 0xbe5466cf34e90c6c
)

// mix folds the 128-bit product of a and b into 64 bits.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hashKey hashes a key so that both directions of a flow give the same value: the two
// endpoints (address and port) are put in a fixed order before they are mixed. That
// puts a biflow's two directions in one bucket, found with a single probe.
func hashKey(k *flow.Key) uint64 {
	a0 := binary.LittleEndian.Uint64(k.SrcAddr[0:8])
	a1 := binary.LittleEndian.Uint64(k.SrcAddr[8:16])
	b0 := binary.LittleEndian.Uint64(k.DstAddr[0:8])
	b1 := binary.LittleEndian.Uint64(k.DstAddr[8:16])
	pa, pb := k.SrcPort, k.DstPort
	if a0 > b0 || a0 == b0 && (a1 > b1 || a1 == b1 && pa > pb) {
		a0, a1, b0, b1, pa, pb = b0, b1, a0, a1, pb, pa
	}
	x := uint64(pa)<<48 | uint64(pb)<<32 | uint64(k.VLAN)<<16 |
		uint64(k.Protocol)<<8 | uint64(k.IPVersion)
	t := uint64(k.TunnelID)<<8 | uint64(k.TunnelType)
	h := mix(a0^seedA0, a1^seedA1) ^ mix(b0^seedB0, b1^seedB1^t)
	return mix(h^seedX, x^seedY)
}
