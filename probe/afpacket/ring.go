package afpacket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/flowprobe/flowprobe/probe/capture"
)

// Offsets in a TPACKET_V3 block descriptor (struct tpacket_block_desc, hdr.bh1).
const (
	blockStatusOffset = 8
	blockNumPkts      = 12
	blockFirstPkt     = 16
)

// ring is one AF_PACKET socket with its memory-mapped TPACKET_V3 receive ring. Its
// blocks are read by one worker.
type ring struct {
	fd        int
	mem       []byte
	blockSize int
	blocks    int
	next      int   // the block the worker reads next
	lastFrame int64 // time of the last frame handed over, Unix ns; 0 before the first

	// scratch holds a frame whose VLAN tag the kernel moved out of the frame and
	// which is rebuilt with the tag in place.
	scratch []byte

	statsMu sync.Mutex
	stats   Stats
}

// openRing creates a socket with a receive ring, not yet bound to an interface.
func openRing(o Options) (*ring, error) {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open AF_PACKET socket: %w", err)
	}
	r := &ring{fd: fd, blockSize: o.BlockSize, blocks: o.Blocks}
	if err := r.setup(o); err != nil {
		r.close()
		return nil, err
	}
	r.scratch = make([]byte, 0, o.BlockSize+4)
	return r, nil
}

func (r *ring) setup(o Options) error {
	err := unix.SetsockoptInt(r.fd, unix.SOL_PACKET, unix.PACKET_VERSION, unix.TPACKET_V3)
	if err != nil {
		return fmt.Errorf("select TPACKET_V3: %w", err)
	}
	req := unix.TpacketReq3{
		Block_size:     uint32(o.BlockSize),
		Block_nr:       uint32(o.Blocks),
		Frame_size:     frameSize,
		Frame_nr:       uint32(o.BlockSize / frameSize * o.Blocks),
		Retire_blk_tov: uint32(o.BlockTimeout.Milliseconds()),
	}
	if err := unix.SetsockoptTpacketReq3(r.fd, unix.SOL_PACKET, unix.PACKET_RX_RING,
		&req); err != nil {
		return fmt.Errorf("create ring of %d blocks of %d bytes: %w", o.Blocks, o.BlockSize,
			err)
	}
	mem, err := unix.Mmap(r.fd, 0, o.BlockSize*o.Blocks, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("map ring: %w", err)
	}
	r.mem = mem
	return nil
}

// bind starts the capture on the interface.
func (r *ring) bind(ifindex int) error {
	sa := &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex}
	if err := unix.Bind(r.fd, sa); err != nil {
		return fmt.Errorf("bind to interface %d: %w", ifindex, err)
	}
	return nil
}

// close unmaps the ring and closes the socket, which also leaves the fanout group and
// drops the promiscuous mode membership.
func (r *ring) close() error {
	var errs []error
	if r.mem != nil {
		errs = append(errs, unix.Munmap(r.mem))
		r.mem = nil
	}
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	if r.fd >= 0 {
		errs = append(errs, unix.Close(r.fd))
		r.fd = -1
	}
	return errors.Join(errs...)
}

// blockStatus points at the status word the kernel and the worker hand a block over
// with.
func (r *ring) blockStatus(b []byte) *uint32 {
	return (*uint32)(unsafe.Pointer(&b[blockStatusOffset]))
}

// readyBlock returns the next block if the kernel has handed it to user space.
func (r *ring) readyBlock() ([]byte, bool) {
	b := r.mem[r.next*r.blockSize : (r.next+1)*r.blockSize]
	return b, atomic.LoadUint32(r.blockStatus(b))&unix.TP_STATUS_USER != 0
}

// releaseBlock gives block b back to the kernel and moves on to the next one.
func (r *ring) releaseBlock(b []byte) {
	atomic.StoreUint32(r.blockStatus(b), unix.TP_STATUS_KERNEL)
	r.next++
	if r.next == r.blocks {
		r.next = 0
	}
}

// deliver hands every frame of block b to h, reusing f.
func (r *ring) deliver(b []byte, h capture.Handler, f *capture.Frame) {
	n := binary.NativeEndian.Uint32(b[blockNumPkts:])
	off := int(binary.NativeEndian.Uint32(b[blockFirstPkt:]))
	for range n {
		hdr := (*unix.Tpacket3Hdr)(unsafe.Pointer(&b[off]))
		start := off + int(hdr.Mac)
		data := b[start : start+int(hdr.Snaplen)]

		f.Data = data
		f.WireLen = int(hdr.Len)
		f.Timestamp = int64(hdr.Sec)*1e9 + int64(hdr.Nsec)
		if hdr.Status&unix.TP_STATUS_VLAN_VALID != 0 && f.LinkType == capture.LinkEthernet &&
			len(data) >= 12 {
			f.Data = r.withVLANTag(data, hdr)
			f.WireLen += 4
		}
		h.HandleFrame(f)
		off += int(hdr.Next_offset)
	}
	if n > 0 {
		r.lastFrame = f.Timestamp
	}
}

// tickTime is the time a tick may claim: now, unless blocks are waiting in the ring,
// as when the worker fell behind (an output that blocked it); then the time of the
// last frame handed over, so that the flow cache's clock does not run ahead of the
// frames still to come and take them for a clock set back.
func (r *ring) tickTime(now time.Time) int64 {
	if _, waiting := r.readyBlock(); waiting && r.lastFrame != 0 {
		return r.lastFrame
	}
	return now.UnixNano()
}

// withVLANTag rebuilds the frame with the 802.1Q or 802.1ad tag that the kernel (or
// the NIC) took out of it before capture, so the parser sees the frame as it was on
// the wire.
func (r *ring) withVLANTag(data []byte, hdr *unix.Tpacket3Hdr) []byte {
	tpid := uint16(0x8100)
	if hdr.Status&unix.TP_STATUS_VLAN_TPID_VALID != 0 {
		tpid = hdr.Hv1.Vlan_tpid
	}
	s := append(r.scratch[:0], data[:12]...)
	s = binary.BigEndian.AppendUint16(s, tpid)
	s = binary.BigEndian.AppendUint16(s, uint16(hdr.Hv1.Vlan_tci))
	s = append(s, data[12:]...)
	r.scratch = s
	return s
}

// foldStats adds the kernel's counters, which reset on every read, to the running
// totals and returns them.
func (r *ring) foldStats() (Stats, error) {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	if r.fd < 0 {
		return r.stats, nil
	}
	st, err := unix.GetsockoptTpacketStatsV3(r.fd, unix.SOL_PACKET, unix.PACKET_STATISTICS)
	if err != nil {
		return r.stats, fmt.Errorf("read PACKET_STATISTICS: %w", err)
	}
	// tp_packets includes the dropped frames.
	r.stats.Received += uint64(st.Packets - st.Drops)
	r.stats.Dropped += uint64(st.Drops)
	r.stats.FreezeQueue += uint64(st.Freeze_q_cnt)
	return r.stats, nil
}
