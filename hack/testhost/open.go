package testhost

import (
	"io"
	"testing"
)

// Open calls open inside e's network namespace, fails t when it returns an error,
// and closes what it opened when t ends, reporting a close error as a test error.
func Open[T io.Closer](t testing.TB, e *End, open func() (T, error)) T {
	t.Helper()
	var v T
	err := e.Do(func() error {
		var err error
		v, err = open()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := v.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return v
}
