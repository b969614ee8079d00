package registry

import (
	"log/slog"

	"github.com/sakersec/saker/internal/config"
)

// Flags are the transport flags registry-facing commands share; set ones
// override the configuration.
type Flags struct {
	PlainHTTP             bool
	CAFile                string
	InsecureSkipTLSVerify bool
}

// NewFromConfig builds a Client from the configuration overlaid by flags.
func NewFromConfig(cfg *config.Config, fl Flags, logger *slog.Logger) (*Client, error) {
	opts := OptionsFromConfig(cfg)
	opts.PlainHTTP = fl.PlainHTTP
	if fl.CAFile != "" {
		opts.CAFile = fl.CAFile
	}
	if fl.InsecureSkipTLSVerify {
		opts.InsecureSkipTLSVerify = true
	}
	opts.Logger = logger
	return New(opts)
}
