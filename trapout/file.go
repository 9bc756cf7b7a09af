package trapout

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
	"github.com/flowprobe/flowprobe/trapout/ifc/wire"
	"github.com/flowprobe/flowprobe/trapout/trapcap"
)

// fileOutput is the `f:` output, a trapcap.Writer. Timeouts and autoflush do not
// apply to files, as in libtrap.
type fileOutput struct {
	w    *trapcap.Writer
	sent atomic.Uint64
}

func openFileOutput(s ifc.Spec) (sender, error) {
	path, opts, err := trapcap.ParseOutputParams(s.Params)
	if err != nil {
		return nil, err
	}
	opts.Unbuffered = !s.Buffered
	w, err := trapcap.Create(path, opts)
	if err != nil {
		return nil, err
	}
	return &fileOutput{w: w}, nil
}

func (f *fileOutput) SetFormat(fm wire.Format) error {
	return f.w.SetFormat(trapcap.Hello{Format: trapcap.DataFormat(fm.Type), Spec: fm.Spec})
}

func (f *fileOutput) Send(msg []byte) error {
	if err := f.w.Send(msg); err != nil {
		return err
	}
	f.sent.Add(1)
	return nil
}

func (f *fileOutput) Flush() error               { return f.w.Flush() }
func (f *fileOutput) SetTimeout(ifc.Timeout)     {}
func (f *fileOutput) SetAutoflush(time.Duration) {}
func (f *fileOutput) Close() error               { return f.w.Close() }
func (f *fileOutput) Stats() OutputStats {
	return OutputStats{Sent: f.sent.Load(), Clients: 1, Containers: f.w.Buffers()}
}

// fileInput is the `f:` input: the files the parameter expands to, read in order.
// Each file's hello is negotiated against the required format, as libtrap does.
type fileInput struct {
	r      *trapcap.Reader
	req    wire.Format
	format wire.Format
	fresh  bool // the current hello has not been negotiated yet
}

func openFileInput(s ifc.Spec) (receiver, error) {
	files, err := trapcap.ExpandInput(s.Params)
	if err != nil {
		return nil, err
	}
	r, err := trapcap.Open(files...)
	if err != nil {
		return nil, err
	}
	return &fileInput{r: r, req: wire.Format{Type: wire.UniRec}, fresh: true}, nil
}

func (f *fileInput) SetRequired(fm wire.Format) { f.req = fm }
func (f *fileInput) SetTimeout(ifc.Timeout)     {}
func (f *fileInput) Format() wire.Format        { return f.format }
func (f *fileInput) Close() error               { return f.r.Close() }
func (f *fileInput) Buffers() uint64            { return f.r.Buffers() }
func (f *fileInput) Pending() bool              { return !f.fresh && f.r.Pending() }

func (f *fileInput) Recv() ([]byte, bool, error) {
	if f.fresh {
		f.fresh = false
		h := f.r.Hello()
		got := wire.Format{Type: wire.DataType(h.Format), Spec: h.Spec}
		outcome, err := wire.Negotiate(f.req, got)
		if err != nil {
			return nil, false, fmt.Errorf("file %s: %w", f.r.Name(), err)
		}
		changed := outcome == wire.FormatChanged || (f.format.Type != 0 && got != f.format)
		f.format = got
		if changed {
			return nil, true, nil
		}
	}
	msg, err := f.r.Next()
	if errors.Is(err, trapcap.ErrFormatChanged) {
		f.fresh = true
		return f.Recv()
	}
	if err != nil {
		return nil, false, err
	}
	return msg, false, nil
}
