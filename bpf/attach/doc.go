// Package attach attaches an XDP program to a network interface and detaches it.
//
// The program is attached through a BPF link, so it is detached when Link.Close runs
// and also when the process exits in any way, crashes included: the kernel drops the
// attachment with the last file descriptor of the link. Native (driver) mode is tried
// first and generic (SKB) mode taken when the driver has no XDP support.
//
// Attaching and the interface lookup happen in the network namespace of the calling
// thread. XDP through BPF links needs Linux 5.9 or later.
package attach
