package driver

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	driverartifact "github.com/sakersec/saker/drivers/artifact"
	"github.com/sakersec/saker/internal/cli"
)

// PrintenvOptions are the inputs of `driver printenv`.
type PrintenvOptions struct {
	Dir    string
	Output string
}

func newPrintenvCmd(f *cli.Factory, runF func(context.Context, *PrintenvOptions) error) *cobra.Command {
	o := &PrintenvOptions{}
	c := &cobra.Command{
		Use:   "printenv",
		Short: "Show the kernel, architecture, BTF, the variant this kernel runs and the installed driver",
		Long: `Print KEY=VALUE lines (or JSON with -o json): the kernel release, the
architecture, whether kernel BTF is present, the attach variant this kernel
runs (found by loading the embedded object, so it needs root), the installed
driver, and which driver sakerctl run would use and why.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runPrintenv(f, o)
		},
	}
	c.Flags().StringVar(&o.Dir, "dir", "", "drivers directory (default: driver.dir, else /etc/falco/drivers)")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	return c
}

func runPrintenv(f *cli.Factory, o *PrintenvOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	dir, err := driversDir(f, o.Dir)
	if err != nil {
		return err
	}
	env, err := driverartifact.Inspect(driverartifact.EnvOptions{Dir: dir})
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return cli.PrintJSON(f.IO.Out, env)
	}
	printEnv(f.IO.Out, env)
	return nil
}

func printEnv(w io.Writer, env *driverartifact.Env) {
	kv := func(k string, v any) { fmt.Fprintf(w, "%s=%v\n", k, v) }
	kv("KERNEL_RELEASE", env.Release)
	kv("ARCH", env.Arch)
	kv("KERNEL_BTF", env.BTF)
	kv("DRIVER_DIR", env.Dir)
	variant := string(env.Variant)
	if variant == "" {
		variant = "none"
	}
	kv("DRIVER_VARIANT", variant)
	if env.VariantReason != "" {
		kv("DRIVER_VARIANT_REASON", fmt.Sprintf("%q", env.VariantReason))
	}
	if in := env.Installed; in != nil {
		kv("DRIVER_INSTALLED", fmt.Sprintf("%q", fmt.Sprintf("%s %s linux/%s %s %s", in.Name, in.Version, in.Arch, in.Variant, in.Object)))
		kv("DRIVER_INSTALLED_REF", in.Ref)
	} else {
		kv("DRIVER_INSTALLED", "none")
	}
	kv("DRIVER_SOURCE", env.Source)
	if env.SourceReason != "" {
		kv("DRIVER_SOURCE_REASON", fmt.Sprintf("%q", env.SourceReason))
	}
}
