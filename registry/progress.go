package registry

import (
	"io"
	"log/slog"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Progress reports transfers: a progress bar when Terminal is set (an
// interactive terminal), structured logs otherwise. A nil *Progress
// reports nothing.
type Progress struct {
	// Terminal receives progress bars; nil disables them.
	Terminal io.Writer
	// Logger receives one line per finished transfer when there is no
	// terminal; nil discards.
	Logger *slog.Logger
}

// Track wraps r, a transfer of size bytes described by label ("pull
// falco-rules:3.0.0"), and returns the reader to use and a function to
// call when the transfer is over.
func (p *Progress) Track(r io.Reader, size int64, label string) (io.Reader, func()) {
	if p == nil {
		return r, func() {}
	}
	start := time.Now()
	if p.Terminal != nil {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(p.Terminal),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { _, _ = io.WriteString(p.Terminal, "\n") }),
		)
		pr := progressbar.NewReader(r, bar)
		return &pr, func() { _ = bar.Finish() }
	}
	return r, func() {
		if p.Logger != nil {
			p.Logger.Debug("transfer done", "what", label, "bytes", size, "duration", time.Since(start).Round(time.Millisecond))
		}
	}
}
