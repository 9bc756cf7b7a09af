package trapout

import (
	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

// DataType is the kind of data an interface carries.
type DataType = wire.DataType

// The data types of libtrap.
const (
	Raw    = wire.Raw
	UniRec = wire.UniRec
	JSON   = wire.JSON
)

// Timeout is an interface timeout: ifc.Wait, ifc.NoWait, ifc.HalfWait (outputs
// only) or a number of microseconds.
type Timeout = ifc.Timeout

// The special timeouts.
const (
	Wait     = ifc.Wait
	NoWait   = ifc.NoWait
	HalfWait = ifc.HalfWait
)
