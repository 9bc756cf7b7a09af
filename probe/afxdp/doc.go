// Package afxdp captures live frames from a Linux interface through AF_XDP sockets:
// an XDP program redirects frames into a memory area (the UMEM) shared with the
// kernel, and the workers hand them to the flow engine's handlers where they lie,
// without a copy into the Go heap and without allocating per frame.
//
// An AF_XDP socket is bound to a single receive queue, so a source opens one socket,
// with its own UMEM and rings, per RX queue of the interface and runs one worker per
// socket. The redirect comes either from a caller's XDP program through an XSKMAP the
// caller provides (Options.XSKMap), or from a minimal redirect-everything program that
// the source loads and attaches itself and detaches on Close. A redirected frame is
// taken from the kernel's network stack: while that program is attached, the host
// itself no longer receives anything on the captured queues, which suits a mirror
// or tap port but cuts a host's own traffic off. AF_PACKET capture does not.
//
// Sockets are bound in zero-copy mode when the driver supports it and in copy mode
// otherwise (veth and virtio_net, for example, only have copy mode); Source.BindMode
// reports which one is in use. The fill ring is refilled after every batch of frames,
// and the kernel is only kicked with a system call when it sets the fill ring's
// need-wakeup flag. A worker that emptied its RX ring naps briefly before it looks
// again (Options.BatchWait), so under load it takes frames in batches rather than
// being woken for each; an idle worker sleeps in poll.
//
// The sockets and rings are written here on golang.org/x/sys/unix rather than taken
// from github.com/asavie/xdp, which this package uses only for its redirect program:
// its Socket takes bind flags from a package-wide variable, gives no access to the
// rings' need-wakeup flag, reads and writes the kernel-shared ring indices without
// atomic operations, never unmaps its rings, and scans every frame to find free ones.
//
// Which queue, and so which worker, a frame reaches is the NIC's choice (RSS). Both
// directions of a connection meet in one worker's flow cache only when the NIC hashes
// symmetrically, and the default RSS key of most NICs does not: a biflow can then be
// split between two workers and exported as two one-way flows. Set a symmetric RSS
// key (a 40-byte key of the repeated pair 6d:5a, with ethtool -X) or capture a single
// queue (Options.Queues, after steering all traffic to it with ethtool -L or -N).
//
// AF_XDP carries no receive timestamp, so a frame's Timestamp is the wall-clock time
// at which its batch was taken from the RX ring, normally within microseconds of
// arrival but later when the workers fall behind.
package afxdp
