package trapout

import (
	"errors"

	"github.com/flowprobe/flowprobe/trapout/ifc/stream"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
	"github.com/flowprobe/flowprobe/trapout/trapcap"
)

// ErrTimeout is returned by Input.Recv when the input's timeout is not WAIT and no
// message arrived in time. The input stays usable.
var ErrTimeout = stream.ErrTimeout

// ErrFormatMismatch is returned (wrapped) by Input.Recv when the sender's format
// lacks a field the input requires. The connection is dropped; a later Recv tries
// again.
var ErrFormatMismatch = wire.ErrFormatMismatch

// ErrFormatChanged matches a *FormatChangedError with errors.Is.
var ErrFormatChanged = errors.New("data format changed")

// ErrClosed is returned by operations on a closed interface.
var ErrClosed = stream.ErrClosed

// LostError is returned by Output.Send, Flush and Context.Close of an `f:` output
// that could not write a container: it counts the messages lost with it (and for
// Send the message given). Messages accepted without an error are in the file or
// still buffered.
type LostError = trapcap.LostError

// FormatChangedError tells a receiver that the messages that follow have a new data
// format. It carries no message: the next Recv returns the first one.
type FormatChangedError struct {
	Type     DataType
	Template string // the sender's UniRec template string (or JSON format name)
}

func (e *FormatChangedError) Error() string {
	return "data format changed: " + e.Template
}

// Is makes errors.Is(err, ErrFormatChanged) true.
func (e *FormatChangedError) Is(target error) bool { return target == ErrFormatChanged }
