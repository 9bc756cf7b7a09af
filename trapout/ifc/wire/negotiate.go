package wire

import (
	"errors"
	"fmt"
	"strings"
)

// ErrFormatMismatch means the sender's format cannot satisfy what the receiver
// requires.
var ErrFormatMismatch = errors.New("format mismatch")

// ErrUnknownFormat means the sender has no format set yet; libtrap receivers close
// the connection and try again later.
var ErrUnknownFormat = errors.New("sender has no data format yet")

// Outcome is the result of a successful negotiation.
type Outcome int

// Negotiation outcomes.
const (
	// FormatOK: the sender's format is exactly what the receiver asked for.
	FormatOK Outcome = iota
	// FormatChanged: the sender sends more than was asked for (a superset) or a
	// receiver that required nothing learned the format; it must rebuild its view of
	// the records from the sender's specifier.
	FormatChanged
)

// Negotiate decides, as a libtrap input does, whether a receiver that requires req
// accepts data of format got. For UniRec every `type NAME` field of req must appear
// in got with the same type; the comparison is not whitespace tolerant, so senders
// must use the canonical template string. An empty req accepts any UniRec template.
func Negotiate(req, got Format) (Outcome, error) {
	if got.Type == Unknown {
		return 0, ErrUnknownFormat
	}
	if got.Type != req.Type {
		return 0, fmt.Errorf("%w: sender sends %s, receiver wants %s",
			ErrFormatMismatch, got.Type, req.Type)
	}
	switch got.Type {
	case Raw:
		return FormatOK, nil
	case JSON:
		if req.Spec != "" && req.Spec != got.Spec {
			return 0, fmt.Errorf("%w: sender's JSON format %q, receiver wants %q",
				ErrFormatMismatch, got.Spec, req.Spec)
		}
		if req.Spec == got.Spec {
			return FormatOK, nil
		}
		return FormatChanged, nil
	}
	if got.Spec == "" {
		return 0, fmt.Errorf("%w: sender's UniRec template is empty", ErrFormatMismatch)
	}
	have := make(map[string]string)
	for f := range strings.SplitSeq(got.Spec, ",") {
		typ, name, _ := strings.Cut(f, " ")
		have[name] = typ
	}
	if req.Spec != "" {
		for f := range strings.SplitSeq(req.Spec, ",") {
			typ, name, _ := strings.Cut(f, " ")
			if t, ok := have[name]; !ok || t != typ {
				return 0, fmt.Errorf("%w: sender lacks field %q", ErrFormatMismatch, f)
			}
		}
	}
	if len(got.Spec) > len(req.Spec) {
		return FormatChanged, nil
	}
	return FormatOK, nil
}
