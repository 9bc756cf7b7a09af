package packet

import (
	"encoding/binary"

	"github.com/flowprobe/flowprobe/probe/flow"
)

// fragment handles one fragment of an IP datagram. A first fragment (offset 0)
// carries the transport header: it is read as usual and, when it yields
// transport fields, they are remembered under the datagram's identity. A later
// fragment has no transport header: it gets the remembered fields when its first
// fragment was seen no longer than the timeout ago, and ports 0 otherwise (the
// first fragment was lost, arrived later, expired, or was evicted from a full
// table). Either way every fragment is a flow packet with its own IP length.
func (p *Parser) fragment(l4 []byte, proto uint8, id uint32, first bool, pkt *flow.Packet) {
	pkt.Protocol = proto
	k := fragKey{src: pkt.SrcAddr, dst: pkt.DstAddr, id: id, tunnelID: pkt.TunnelID,
		vlan: pkt.VLAN, proto: proto, tunnelType: pkt.TunnelType}
	if first {
		if p.transport(l4, proto, true, pkt) {
			p.frags.store(&k, pkt)
		}
		return
	}
	if p.frags.attach(&k, pkt) {
		p.stats.FragmentsAttached++
	} else {
		p.stats.FragmentsUnattached++
	}
}

// fragKey names one IP datagram: its addresses, protocol and IP identification
// (the IPv6 Fragment header's identification), plus the VLAN and the tunnel it
// was decapsulated from, so that two networks reusing addresses do not mix.
type fragKey struct {
	src, dst   [16]byte
	id         uint32
	tunnelID   uint32
	vlan       uint16
	proto      uint8
	tunnelType flow.TunnelType
}

type fragEntry struct {
	key              fragKey
	used             bool
	seen             int64 // packet time of the first fragment
	srcPort, dstPort uint16
	icmpTypeCode     uint16
}

// fragWays is the bucket size: a datagram can be stored in any of the fragWays
// slots of its bucket, which keeps lookups to one cache-friendly scan.
const fragWays = 4

// fragmentTable is a fixed-size, set-associative table of first fragments. When
// every slot of a bucket is live, a new first fragment replaces the oldest one,
// on the grounds that the fragments of a recent datagram are the likelier to
// still arrive.
type fragmentTable struct {
	slots   []fragEntry
	mask    uint64 // number of buckets minus one; the bucket count is a power of two
	timeout int64
}

func (t *fragmentTable) init(slots int, timeout int64) {
	buckets := 1
	for buckets*fragWays < slots {
		buckets *= 2
	}
	t.slots = make([]fragEntry, buckets*fragWays)
	t.mask = uint64(buckets - 1)
	t.timeout = timeout
}

func (t *fragmentTable) bucket(k *fragKey) []fragEntry {
	h := binary.LittleEndian.Uint64(k.src[0:]) ^ binary.LittleEndian.Uint64(k.src[8:])*31
	h ^= binary.LittleEndian.Uint64(k.dst[0:])*0x9e3779b97f4a7c15 ^
		binary.LittleEndian.Uint64(k.dst[8:])
	h ^= uint64(k.id)<<24 ^ uint64(k.vlan)<<8 ^ uint64(k.proto)
	h ^= (uint64(k.tunnelID)<<8 | uint64(k.tunnelType)) * 0x94d049bb133111eb
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	i := (h & t.mask) * fragWays
	return t.slots[i : i+fragWays]
}

func (t *fragmentTable) live(e *fragEntry, now int64) bool {
	age := now - e.seen
	return e.used && age <= t.timeout && age >= -t.timeout
}

// store remembers the transport fields of pkt, a first fragment.
func (t *fragmentTable) store(k *fragKey, pkt *flow.Packet) {
	b := t.bucket(k)
	slot := &b[0]
	for i := range b {
		e := &b[i]
		if e.used && e.key == *k {
			slot = e
			break
		}
		if !t.live(e, pkt.Timestamp) {
			slot = e
		} else if t.live(slot, pkt.Timestamp) && e.seen < slot.seen {
			slot = e
		}
	}
	*slot = fragEntry{
		key: *k, used: true, seen: pkt.Timestamp,
		srcPort: pkt.SrcPort, dstPort: pkt.DstPort, icmpTypeCode: pkt.ICMPTypeCode,
	}
}

// attach copies the stored transport fields of k's datagram into pkt and reports
// whether there were any.
func (t *fragmentTable) attach(k *fragKey, pkt *flow.Packet) bool {
	b := t.bucket(k)
	for i := range b {
		e := &b[i]
		if e.used && e.key == *k && t.live(e, pkt.Timestamp) {
			pkt.SrcPort, pkt.DstPort, pkt.ICMPTypeCode = e.srcPort, e.dstPort, e.icmpTypeCode
			return true
		}
	}
	return false
}
