package ifc

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// applySetters finds the setters anywhere in params, applies them to s and returns
// params with each setter and one of its ':' separators cut out, as libtrap does
// before the type-specific parser runs.
func applySetters(s *Spec, params string) (string, error) {
	for _, name := range [...]string{"timeout=", "buffer=", "autoflush="} {
		value, rest, found := cutSetter(params, name)
		if !found {
			continue
		}
		params = rest
		if err := applySetter(s, name, value); err != nil {
			return "", fmt.Errorf("%s%s: %w", name, value, err)
		}
	}
	return params, nil
}

// cutSetter returns the value of the first occurrence of name (which must start a
// parameter) and params without it.
func cutSetter(params, name string) (value, rest string, found bool) {
	at := -1
	for from := 0; from < len(params); {
		i := strings.Index(params[from:], name)
		if i < 0 {
			break
		}
		i += from
		if i == 0 || params[i-1] == ':' {
			at = i
			break
		}
		from = i + 1
	}
	if at < 0 {
		return "", params, false
	}
	end := strings.IndexByte(params[at:], ':')
	if end < 0 {
		end = len(params)
	} else {
		end += at
	}
	value = params[at+len(name) : end]
	switch {
	case at > 0: // drop the ':' before the setter
		rest = params[:at-1] + params[end:]
	case end < len(params): // first parameter: drop the ':' after it
		rest = params[end+1:]
	default:
		rest = ""
	}
	return value, rest, true
}

func applySetter(s *Spec, name, value string) error {
	switch name {
	case "timeout=":
		t, err := parseTimeout(value, s.Input)
		if err != nil {
			return err
		}
		s.Timeout, s.TimeoutFixed = t, true
	case "buffer=":
		if s.Input {
			return fmt.Errorf("buffer= applies only to outputs")
		}
		switch {
		case strings.HasPrefix(value, "off"):
			s.Buffered = false
		case strings.HasPrefix(value, "on"):
			s.Buffered = true
		default:
			return fmt.Errorf("want on or off")
		}
		s.BufferedFixed = true
	case "autoflush=":
		if s.Input {
			return fmt.Errorf("autoflush= applies only to outputs")
		}
		if value == "off" {
			s.Autoflush, s.AutoflushFixed = -1, true
			return nil
		}
		us, err := parseCInt(value)
		if err != nil || us < 0 {
			return fmt.Errorf("want off or a number of microseconds")
		}
		s.Autoflush, s.AutoflushFixed = time.Duration(us)*time.Microsecond, true
	}
	return nil
}

func parseTimeout(value string, input bool) (Timeout, error) {
	switch value {
	case "WAIT":
		return Wait, nil
	case "NO_WAIT":
		return NoWait, nil
	case "HALF_WAIT":
		if input {
			return 0, fmt.Errorf("HALF_WAIT applies only to outputs")
		}
		return HalfWait, nil
	}
	us, err := parseCInt(value)
	if err != nil || us < 0 {
		return 0, fmt.Errorf("want WAIT, NO_WAIT, HALF_WAIT or microseconds")
	}
	return Timeout(us), nil
}

// parseCInt parses an integer the way C's "%i" does: 0x or 0X for hexadecimal, a
// leading 0 for octal, decimal otherwise. Unlike sscanf it rejects trailing text.
func parseCInt(s string) (int64, error) {
	neg := false
	digits := s
	if strings.HasPrefix(digits, "-") || strings.HasPrefix(digits, "+") {
		neg = digits[0] == '-'
		digits = digits[1:]
	}
	base := 10
	switch {
	case strings.HasPrefix(digits, "0x") || strings.HasPrefix(digits, "0X"):
		base, digits = 16, digits[2:]
	case len(digits) > 1 && digits[0] == '0':
		base, digits = 8, digits[1:]
	}
	if digits == "" || digits[0] == '+' || digits[0] == '-' {
		return 0, fmt.Errorf("invalid integer %q", s)
	}
	v, err := strconv.ParseInt(digits, base, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid integer %q", s)
	}
	if neg {
		v = -v
	}
	return v, nil
}
