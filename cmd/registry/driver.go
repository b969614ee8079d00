package registry

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/sakersec/saker/drivers"
	driverartifact "github.com/sakersec/saker/drivers/artifact"
	"github.com/sakersec/saker/internal/cli"
)

// DriverPushFlags are the flags only `registry push --type driver` reads.
type DriverPushFlags struct {
	Variants  []string
	MinKernel string
	NoBTF     bool
}

func addDriverPushFlags(fs *pflag.FlagSet, d *DriverPushFlags) {
	fs.StringArrayVar(&d.Variants, "variant", nil, "driver attach variant to publish: tp_btf, raw_tracepoint (repeatable; default both)")
	fs.StringVar(&d.MinKernel, "min-kernel", "", "driver: oldest kernel release it loads on, MAJOR.MINOR (default: this tree's minimum)")
	fs.BoolVar(&d.NoBTF, "no-btf", false, "driver: does not need kernel BTF")
}

// runPushDriver pushes eBPF objects (default: the embedded one) as a
// driver artifact, one manifest per --platform and variant.
func runPushDriver(ctx context.Context, f *cli.Factory, o *PushOptions) error {
	if len(o.Requires) > 0 || len(o.DependsOn) > 0 {
		return fmt.Errorf("--requires/--depends-on do not apply to drivers: use --min-kernel and --no-btf")
	}
	var variants []drivers.Mode
	for _, v := range o.Driver.Variants {
		m, err := driverartifact.ParseVariant(v)
		if err != nil {
			return fmt.Errorf("--variant: %w", err)
		}
		variants = append(variants, m)
	}
	reqs := driverartifact.DefaultRequirements()
	if o.Driver.MinKernel != "" {
		reqs.MinKernelRelease = o.Driver.MinKernel
	}
	reqs.BTF = !o.Driver.NoBTF
	client, err := NewClient(f, o.Transport)
	if err != nil {
		return err
	}
	repo, err := client.Repository(o.Ref)
	if err != nil {
		return err
	}
	res, err := driverartifact.Push(ctx, repo, driverartifact.PushOptions{
		Name: o.Name, Version: o.Version, Files: o.Files, Platforms: o.Platforms, Variants: variants,
		Requirements: &reqs, Tags: o.Tags, FloatingTags: o.FloatingTags, Logger: f.Logger(),
	})
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return cli.PrintJSON(f.IO.Out, res)
	}
	fmt.Fprintf(f.IO.Out, "pushed driver %s (%s)\n", res.Ref, res.Digest)
	return nil
}
