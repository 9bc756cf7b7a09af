package flowcache

import (
	"math/bits"
	"unsafe"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// keyWords is a flow.Key read as six machine words. Comparing keys this way is
// six loads and compares; comparing them as structs calls a general memory compare,
// which the profile of a trace run showed as a fifth of the packet path.
type keyWords [6]uint64

// The reading below relies on flow.Key being 48 bytes with no implicit padding: the
// two addresses fill words 0 to 3, the ports, VLAN, protocol and IP version word 4,
// and the tunnel ID, tunnel type and three zero bytes word 5. These lines stop the
// build if the key ever changes shape.
var (
	_ [unsafe.Sizeof(flow.Key{}) - 48]byte
	_ [48 - unsafe.Sizeof(flow.Key{})]byte
	_ [unsafe.Offsetof(flow.Key{}.SrcPort) - 32]byte
	_ [unsafe.Offsetof(flow.Key{}.DstPort) - 34]byte
	_ [unsafe.Offsetof(flow.Key{}.TunnelID) - 40]byte
	_ [unsafe.Offsetof(flow.Key{}.TunnelType) - 44]byte
)

// wordsOf returns k as words; it copies nothing.
func wordsOf(k *flow.Key) *keyWords { return (*keyWords)(unsafe.Pointer(k)) }

// equal reports whether a and b are the same key.
func (a *keyWords) equal(b *keyWords) bool {
	return (a[0]^b[0])|(a[1]^b[1])|(a[2]^b[2])|(a[3]^b[3])|(a[4]^b[4])|(a[5]^b[5]) == 0
}

// equalReverse reports whether b is the reverse of a: the addresses swapped and the
// ports swapped, in the same tunnel. The ports fill the first 32 bits of word 4, so
// rotating those bits by 16 swaps them whatever the byte order of the machine.
func (a *keyWords) equalReverse(b *keyWords) bool {
	ah := (*[2]uint32)(unsafe.Pointer(&a[4]))
	bh := (*[2]uint32)(unsafe.Pointer(&b[4]))
	ports := ah[0] ^ bits.RotateLeft32(bh[0], 16)
	return (a[0]^b[2])|(a[1]^b[3])|(a[2]^b[0])|(a[3]^b[1])|(a[5]^b[5]) == 0 &&
		ports|(ah[1]^bh[1]) == 0
}
