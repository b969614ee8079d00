package artifact

import (
	"fmt"

	"github.com/sakersec/saker/drivers"
)

// Env is what `sakerctl driver printenv` reports: the host facts, the
// variant this kernel runs, and which driver the sensor would use.
type Env struct {
	Host
	Dir string `json:"dir"`
	// Variant is what this kernel runs (tp_btf, else raw_tracepoint),
	// found by test-loading the embedded object; empty when neither
	// loads, with the reason in VariantReason.
	Variant       drivers.Mode `json:"variant"`
	VariantReason string       `json:"variantReason,omitempty"`
	// Installed is the active installed driver, nil when none is.
	Installed *Installed `json:"installed,omitempty"`
	// Source is the driver `sakerctl run` would use, and SourceReason
	// why when it is the embedded one.
	Source       Source `json:"source"`
	SourceReason string `json:"sourceReason,omitempty"`
}

// EnvOptions configure [Inspect].
type EnvOptions struct {
	// Dir is the drivers directory; empty means /etc/falco/drivers.
	Dir string
	// Host overrides this host's facts (tests); nil reads them.
	Host *Host
	// TestLoad replaces the kernel test load (tests); nil means
	// [TestLoad], with an empty path for the embedded object.
	TestLoad func(path string, variant drivers.Mode) error
}

// Inspect gathers the [Env]. It loads eBPF programs (and unloads them),
// so without privileges the variant is empty and the reason says why.
func Inspect(opts EnvOptions) (*Env, error) {
	host, err := hostOf(opts.Host)
	if err != nil {
		return nil, err
	}
	load := opts.TestLoad
	if load == nil {
		load = func(path string, v drivers.Mode) error {
			if path == "" {
				return testLoad(drivers.LoadOptions{Mode: v})
			}
			return TestLoad(path, v)
		}
	}
	env := &Env{Host: host, Dir: dirOrDefault(opts.Dir), Source: SourceEmbedded}
	var reasons []string
	for _, v := range Variants {
		if err := load("", v); err != nil {
			reasons = append(reasons, fmt.Sprintf("%s: %v", v, err))
			continue
		}
		env.Variant = v
		break
	}
	if env.Variant == "" {
		env.VariantReason = fmt.Sprint(reasons)
	} else if len(reasons) > 0 {
		env.VariantReason = reasons[0]
	}
	inst, err := Active(opts.Dir)
	switch {
	case err != nil:
		env.SourceReason = err.Error()
	case inst == nil:
		env.SourceReason = "no driver installed in " + env.Dir
	default:
		env.Installed = inst
		if err := host.Check(inst.Config); err != nil {
			env.SourceReason = "installed driver not usable: " + err.Error()
		} else if err := load(inst.Object, inst.Variant); err != nil {
			env.SourceReason = "installed driver does not load: " + err.Error()
		} else {
			env.Source = SourceInstalled
		}
	}
	return env, nil
}
