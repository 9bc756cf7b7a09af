package testhost

import (
	"net"
	"testing"
)

// linkCloser records that it was opened where the probe link exists, and its close.
type linkCloser struct{ closed *bool }

func (c linkCloser) Close() error {
	*c.closed = true
	return nil
}

func TestOpenRunsInNamespaceAndCloses(t *testing.T) {
	RequireRoot(t)
	h := New(t, Options{})
	closed := false
	t.Run("open", func(t *testing.T) {
		Open(t, &h.Probe, func() (linkCloser, error) {
			// The probe link exists only inside the probe end's namespace.
			_, err := net.InterfaceByName(h.Probe.Link)
			return linkCloser{&closed}, err
		})
		if closed {
			t.Fatal("closed before the test ended")
		}
	})
	if !closed {
		t.Error("not closed when the test ended")
	}
	if _, err := net.InterfaceByName(h.Probe.Link); err == nil {
		t.Errorf("%s is visible outside its namespace, so the check proves nothing",
			h.Probe.Link)
	}
}
