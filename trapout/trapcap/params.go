package trapcap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ParseOutputParams parses the parameters of an f: output interface, the text after
// "f:" with libtrap's common setters (timeout=, autoflush=) already removed:
// "<path>[:a][:w][:time=<minutes>][:size=<MiB>][:buffer=on|off]". The path ends at
// the first ':' and is expanded like a shell word (see ExpandPath). As in libtrap,
// "w" is the default and other tokens are ignored; a path starting with /dev/stdout
// turns append mode and rotation off.
func ParseOutputParams(params string) (string, Options, error) {
	var opts Options
	tokens := strings.Split(params, ":")
	path, err := ExpandPath(tokens[0])
	if err != nil {
		return "", opts, err
	}
	for _, tok := range tokens[1:] {
		switch {
		case tok == "a":
			opts.Append = true
		case strings.HasPrefix(tok, "time="):
			opts.RotateMinutes = atoi(tok[len("time="):])
		case strings.HasPrefix(tok, "size="):
			opts.RotateSize = int64(atoi(tok[len("size="):])) << 20
		case strings.HasPrefix(tok, "buffer="):
			opts.Unbuffered = strings.HasPrefix(tok[len("buffer="):], "off")
		}
	}
	if strings.HasPrefix(path, "/dev/stdout") {
		opts.Append, opts.RotateMinutes, opts.RotateSize = false, 0, 0
	}
	return path, opts, nil
}

// ExpandPath expands an output path like the first word of POSIX wordexp: a leading
// ~ becomes the home directory and $VAR or ${VAR} the variable's value. Unlike
// wordexp it does not glob an output path.
func ExpandPath(word string) (string, error) {
	words, err := expandWords(word)
	if err != nil {
		return "", err
	}
	if len(words) == 0 {
		return "", errors.New("file interface: empty file name")
	}
	return words[0], nil
}

// ExpandInput expands the parameter of an f: input interface into the files to read
// in order, like libtrap's use of wordexp: the text is split on white space, each
// word gets ~ and $VAR expansion, and words with glob characters are replaced by the
// sorted files they match. A pattern matching nothing is an error.
func ExpandInput(param string) ([]string, error) {
	words, err := expandWords(param)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, w := range words {
		if !strings.ContainsAny(w, "*?[") {
			files = append(files, w)
			continue
		}
		matches, err := filepath.Glob(w)
		if err != nil {
			return nil, fmt.Errorf("file interface: bad pattern %q: %w", w, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("file interface: no file matches %q", w)
		}
		slices.Sort(matches)
		files = append(files, matches...)
	}
	if len(files) == 0 {
		return nil, errors.New("file interface: no file name")
	}
	return files, nil
}

func expandWords(s string) ([]string, error) {
	var out []string
	for _, w := range strings.Fields(s) {
		w = os.ExpandEnv(w)
		if w == "~" || strings.HasPrefix(w, "~/") {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, fmt.Errorf("file interface: expand %q: %w", w, err)
			}
			w = home + w[1:]
		}
		out = append(out, w)
	}
	return out, nil
}

// atoi is C atoi: leading digits after an optional sign, 0 when there are none.
func atoi(s string) int {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	v := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && v < 1<<40; i++ {
		v = v*10 + int(s[i]-'0')
	}
	if neg {
		return -v
	}
	return v
}
