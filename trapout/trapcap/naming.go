package trapcap

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// nextName computes the name of the next output file and remembers its creation
// time, following libtrap's create_next_filename: the template (with
// ".%Y%m%d%H%M" added when rotating by time) goes through strftime in local time at
// the start of the current period; append mode then adds the first free ".%05u"
// suffix, and size rotation adds the running ".%05u" counter.
func (w *Writer) nextName() (string, error) {
	now := w.opts.Now()
	created := now.Unix()
	template := w.path
	if w.opts.RotateMinutes > 0 {
		period := int64(w.opts.RotateMinutes) * 60
		created -= created % period
		template += ".%Y%m%d%H%M"
	}
	w.created = created
	name := strftime(template, time.Unix(created, 0).In(now.Location()))
	if name == "" {
		return "", fmt.Errorf("file interface: %q gives an empty file name", w.path)
	}
	switch {
	case w.opts.Append:
		return w.firstFree(name)
	case w.opts.RotateSize > 0:
		name = fmt.Sprintf("%s.%05d", name, w.counter)
		w.counter++
	}
	return name, nil
}

// firstFree returns name with the first ".%05u" suffix, from the counter on, that
// names no existing file.
func (w *Writer) firstFree(name string) (string, error) {
	for ; w.counter < 100000; w.counter++ {
		candidate := fmt.Sprintf("%s.%05d", name, w.counter)
		_, err := os.Lstat(candidate)
		if errors.Is(err, os.ErrNotExist) {
			return candidate, nil
		}
		if err != nil {
			return "", fmt.Errorf("file interface: check %s: %w", candidate, err)
		}
	}
	return "", fmt.Errorf("file interface: every suffix of %s is taken", name)
}
