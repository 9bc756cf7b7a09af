package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/flowprobe/flowprobe/trapout"
	"github.com/flowprobe/flowprobe/trapout/unirec"
)

// receive prints records until the end-of-data message, or until cfg.max records.
func receive(in *trapout.Input, out io.Writer, cfg config, log zerolog.Logger) error {
	in.SetRequired("") // any UniRec template, as logger accepts everything
	w := unirec.NewCSVWriter(out, unirec.CSVOptions{
		Delim: cfg.delim, Header: cfg.header, TimePrefix: cfg.timePrefix, Now: time.Now,
	})
	var tmpl *unirec.Template
	var bad int
	for n := 0; cfg.max == 0 || n < cfg.max; {
		msg, err := in.Recv()
		var changed *trapout.FormatChangedError
		switch {
		case errors.As(err, &changed):
			if tmpl, err = in.Template(); err != nil {
				return err
			}
			log.Info().Str("template", tmpl.String()).Msg("format changed")
			if err := w.SetTemplate(tmpl); err != nil {
				return err
			}
			continue
		case err == io.EOF:
			log.Info().Int("records", n).Msg("received the end-of-data message")
			return nil
		case errors.Is(err, trapout.ErrTimeout):
			continue
		case err != nil:
			return fmt.Errorf("receive: %w", err)
		}
		if tmpl == nil {
			return errors.New("receive: a record came before its template")
		}
		if err := tmpl.Validate(msg); err != nil {
			// Logged for the first bad record and then every 1000th, to stay quiet.
			if bad++; bad%1000 == 1 {
				log.Warn().Err(err).Int("bad_records", bad).Msg("record skipped")
			}
			continue
		}
		if err := w.Write(msg); err != nil {
			return err
		}
		n++
	}
	return nil
}
