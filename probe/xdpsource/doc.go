// Package xdpsource is the capture source of the XDP fast path: the program of
// bpf/xdpflow counts flows in the kernel, and this package hands the counts to the
// flow engine as partial flows (engine.Merger), never as frames.
//
// Every DrainInterval the source swaps the program's double-buffered flow tables and
// reads the set it swapped out. The kernel waits for every program run that could
// still write to that set before the swap returns, so each entry is read exactly once
// while no packet can be added to it: nothing is counted twice and nothing counted is
// lost. Each entry goes to the engine's flow cache as a partial flow; the cache adds
// it to the flow's record and applies the active and inactive timeouts, so the kernel
// tables only ever hold one interval's traffic. Frames that found their table full
// arrive through the ring buffer and are merged as one-packet flows.
//
// Kernel times are CLOCK_MONOTONIC; they become wall-clock times with an offset taken
// at every drain, so a change of the system clock shows from the next drain on. When
// the clock was set back, the source first ticks with its last complete time on the
// new clock, so that the flow cache ends the flows of the old clock (see
// flowcache.Stats.ClockSetBack) before any part with a new-clock time reaches it.
//
// With Options.Program.RedirectFirst the program hands the first packets of each flow
// (or every frame) whole to AF_XDP sockets, one per RX queue, which the source opens
// and stores in the program's XSKMAP; that is how user space gets to see a flow's
// first packets, for application-layer fields. Those frames go through the engine's
// parser and are counted there only; the kernel counts the rest of the flow. Both
// reach the one engine worker, so a flow's parts end in one flow cache and one record.
//
// When Run's context is cancelled the program is detached, the tables and the ring
// buffer are read a last time, and Run returns: every packet the program counted has
// then reached the engine.
package xdpsource
