package trapout

import (
	"fmt"

	"github.com/flowprobe/flowprobe/trapout/unirec"
)

// SetTemplate sets a UniRec template as the output's format, with its canonical
// template string.
func (o *Output) SetTemplate(t *unirec.Template) error {
	return o.SetFormat(t.String())
}

// SetRequiredTemplate requires the fields of t from senders.
func (in *Input) SetRequiredTemplate(t *unirec.Template) {
	in.SetRequired(t.String())
}

// Template parses the negotiated UniRec template, for decoding the records Recv
// returns; call it after Recv reported a format change.
func (in *Input) Template() (*unirec.Template, error) {
	typ, spec := in.Format()
	if typ != UniRec {
		return nil, fmt.Errorf("input %d: data type is %s, not UniRec", in.spec.Index, typ)
	}
	t, err := unirec.ParseTemplate(spec)
	if err != nil {
		return nil, fmt.Errorf("input %d: sender's template: %w", in.spec.Index, err)
	}
	return t, nil
}
