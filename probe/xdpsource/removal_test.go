package xdpsource

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/flowprobe/flowprobe/bpf/xdpflow"
	"github.com/flowprobe/flowprobe/hack/testhost"
	"github.com/flowprobe/flowprobe/probe/engine"
	"github.com/flowprobe/flowprobe/probe/flow"
)

// TestInterfaceRemovalEndsRun removes the interface under a running source, with and
// without sockets for redirected frames: Run must end with an error on its own instead
// of draining the tables of a gone interface until it is cancelled.
func TestInterfaceRemovalEndsRun(t *testing.T) {
	testhost.RequireRoot(t)
	for _, redirect := range []uint32{0, 3} {
		t.Run(fmt.Sprintf("redirect %d", redirect), func(t *testing.T) {
			interfaceRemoval(t, redirect)
		})
	}
}

func interfaceRemoval(t *testing.T, redirect uint32) {
	h := testhost.New(t, testhost.Options{})
	var src *Source
	err := h.Probe.Do(func() (err error) {
		src, err = New(Options{Interface: h.Probe.Link,
			Program:       xdpflow.Config{RedirectFirst: redirect},
			DrainInterval: 100 * time.Millisecond})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	eng, err := engine.New(src, []flow.Exporter{&collector{}}, engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()
	time.Sleep(200 * time.Millisecond)
	err = h.Probe.Do(func() error {
		link, err := netlink.LinkByName(h.Probe.Link)
		if err != nil {
			return err
		}
		return netlink.LinkDel(link)
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("run ended without an error after its interface was removed")
		}
		t.Logf("run ended with: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("run still going 10 s after its interface was removed")
	}
}
