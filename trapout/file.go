package trapout

import (
	"errors"

	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// The trapcap file interface is delegated to package trapcap, which is not there yet.
var errNoFileIfc = errors.New("file interface not available in this build yet")

func openFileInput(ifc.Spec) (receiver, error) { return nil, errNoFileIfc }

func openFileOutput(ifc.Spec) (sender, error) { return nil, errNoFileIfc }
