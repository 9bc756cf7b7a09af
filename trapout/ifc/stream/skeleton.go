package stream

import (
	"errors"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
)

var errNotYet = errors.New("socket interfaces not implemented yet")

// Server is a socket output.
type Server struct{}

// NewServer listens as s describes.
func NewServer(s ifc.Spec) (*Server, error) { return nil, errNotYet }

func (*Server) SetFormat(wire.Format) error { return errNotYet }
func (*Server) Send([]byte) error           { return errNotYet }
func (*Server) Flush() error                { return errNotYet }
func (*Server) SetTimeout(ifc.Timeout)      {}
func (*Server) SetAutoflush(time.Duration)  {}
func (*Server) Stats() Stats                { return Stats{} }
func (*Server) Close() error                { return nil }

// Client is a socket input.
type Client struct{}

// NewClient prepares a client as s describes; it connects on the first Recv.
func NewClient(s ifc.Spec) (*Client, error) { return nil, errNotYet }

func (*Client) SetRequired(wire.Format)     {}
func (*Client) SetTimeout(ifc.Timeout)      {}
func (*Client) Recv() ([]byte, bool, error) { return nil, false, errNotYet }
func (*Client) Format() wire.Format         { return wire.Format{} }
func (*Client) Close() error                { return nil }
