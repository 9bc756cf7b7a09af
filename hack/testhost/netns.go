package testhost

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// inNamespace runs fn on a locked OS thread switched into ns and switches back. If
// the thread cannot be switched back it stays locked, so the Go runtime discards it
// when the goroutine ends instead of reusing a thread in the wrong namespace.
func inNamespace(ns netns.NsHandle, fn func() error) error {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("get current network namespace: %w", err)
	}
	defer orig.Close()

	if err := netns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter network namespace: %w", err)
	}
	fnErr := fn()
	if err := netns.Set(orig); err != nil {
		return fmt.Errorf("return to original network namespace: %w", err)
	}
	runtime.UnlockOSThread()
	return fnErr
}

// newNamedNamespaces creates one named network namespace per name and returns to the
// calling thread's namespace. On error it also returns the handles created so far, so
// the caller can remove them.
func newNamedNamespaces(names ...string) ([]netns.NsHandle, error) {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("get current network namespace: %w", err)
	}
	defer orig.Close()

	var handles []netns.NsHandle
	var createErr error
	for _, name := range names {
		h, err := netns.NewNamed(name)
		if err != nil {
			createErr = fmt.Errorf("create network namespace %s: %w", name, err)
			break
		}
		handles = append(handles, h)
	}
	if err := netns.Set(orig); err != nil {
		// The thread stays locked and dies with the goroutine.
		return handles, fmt.Errorf("return to original network namespace: %w", err)
	}
	runtime.UnlockOSThread()
	return handles, createErr
}
