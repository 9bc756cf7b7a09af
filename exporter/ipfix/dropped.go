package ipfix

import (
	"errors"
	"fmt"
)

// ErrBufferFull is the cause of records dropped on TCP because the collector was
// unreachable and Options.BufferRecords were already waiting.
var ErrBufferFull = errors.New("no connection and the send buffer is full")

// ErrNotDelivered is the cause of records dropped by Close on TCP because no
// connection came up within Options.CloseTimeout.
var ErrNotDelivered = errors.New("no connection before the close timeout")

// DroppedError reports how many records a call gave up on, so that a caller can
// count exactly: the other records of the call were sent or buffered. The same
// records are counted in Stats.RecordsDropped.
type DroppedError struct {
	Records   int    // records dropped during the call
	Collector string // the collector's address
	Cause     error  // why the first of them was dropped
}

func (e *DroppedError) Error() string {
	return fmt.Sprintf("ipfix: %d records for %s dropped: %v", e.Records, e.Collector, e.Cause)
}

func (e *DroppedError) Unwrap() error { return e.Cause }

// dropTally adds up the drops of the messages one call ships.
type dropTally struct {
	records int
	cause   error // the first error, dropped records or not
}

func (d *dropTally) add(err error) {
	if err == nil {
		return
	}
	var de *DroppedError
	if errors.As(err, &de) {
		d.records += de.Records
		err = de.Cause
	}
	if d.cause == nil {
		d.cause = err
	}
}

func (d *dropTally) err(collector string) error {
	if d.records > 0 {
		return &DroppedError{Records: d.records, Collector: collector, Cause: d.cause}
	}
	return d.cause
}
