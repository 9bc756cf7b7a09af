package trapcap

import (
	"strconv"
	"time"
)

// strftime formats t like C strftime for the conversions that make sense in file
// names: %Y %y %C %m %d %e %j %H %I %M %S %p %s %u %w %F %T %D %R %a %A %b %h %B %Z
// %z %n %t %%. Any other conversion is copied unchanged; C libraries differ there.
func strftime(format string, t time.Time) string {
	var b []byte
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b = append(b, c)
			continue
		}
		i++
		b = appendConversion(b, format[i], t)
	}
	return string(b)
}

func appendConversion(b []byte, verb byte, t time.Time) []byte {
	pad := func(v, width int) []byte {
		s := strconv.Itoa(v)
		for n := len(s); n < width; n++ {
			b = append(b, '0')
		}
		return append(b, s...)
	}
	switch verb {
	case 'Y':
		return strconv.AppendInt(b, int64(t.Year()), 10)
	case 'y':
		return pad(t.Year()%100, 2)
	case 'C':
		return pad(t.Year()/100, 2)
	case 'm':
		return pad(int(t.Month()), 2)
	case 'd':
		return pad(t.Day(), 2)
	case 'e':
		if t.Day() < 10 {
			b = append(b, ' ')
		}
		return strconv.AppendInt(b, int64(t.Day()), 10)
	case 'j':
		return pad(t.YearDay(), 3)
	case 'H':
		return pad(t.Hour(), 2)
	case 'I':
		return pad((t.Hour()+11)%12+1, 2)
	case 'M':
		return pad(t.Minute(), 2)
	case 'S':
		return pad(t.Second(), 2)
	case 'p':
		return t.AppendFormat(b, "PM")
	case 's':
		return strconv.AppendInt(b, t.Unix(), 10)
	case 'u':
		return strconv.AppendInt(b, int64((int(t.Weekday())+6)%7+1), 10)
	case 'w':
		return strconv.AppendInt(b, int64(t.Weekday()), 10)
	case 'F':
		return t.AppendFormat(b, "2006-01-02")
	case 'T':
		return t.AppendFormat(b, "15:04:05")
	case 'D':
		return t.AppendFormat(b, "01/02/06")
	case 'R':
		return t.AppendFormat(b, "15:04")
	case 'a':
		return t.AppendFormat(b, "Mon")
	case 'A':
		return t.AppendFormat(b, "Monday")
	case 'b', 'h':
		return t.AppendFormat(b, "Jan")
	case 'B':
		return t.AppendFormat(b, "January")
	case 'Z':
		return t.AppendFormat(b, "MST")
	case 'z':
		return t.AppendFormat(b, "-0700")
	case 'n':
		return append(b, '\n')
	case 't':
		return append(b, '\t')
	case '%':
		return append(b, '%')
	}
	return append(b, '%', verb)
}
