package driver

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/artifacts"
	regcmd "github.com/sakersec/saker/cmd/registry"
	"github.com/sakersec/saker/drivers"
	driverartifact "github.com/sakersec/saker/drivers/artifact"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/registry"
)

// InstallOptions are the inputs of `driver install`.
type InstallOptions struct {
	Ref       string
	Dir       string
	Variant   string
	Output    string
	Transport registry.Flags
}

func newInstallCmd(f *cli.Factory, runF func(context.Context, *InstallOptions) error) *cobra.Command {
	o := &InstallOptions{}
	c := &cobra.Command{
		Use:   "install [REF]",
		Short: "Install the driver variant this kernel runs, after a test load",
		Long: `Resolve REF (an index name or HOST/REPOSITORY, with :TAG, a semver constraint or
@DIGEST; default ` + driverartifact.DefaultRef + `), pick the manifests for this
architecture whose requirements (kernel release, BTF) this host meets, tp_btf
before raw_tracepoint, and test-load each into the kernel (load, attach,
unload) until one passes. Only then is it made the active driver, in one atomic
step, under --dir (driver.dir, default /etc/falco/drivers) and recorded in the
install state. A refused driver leaves the active one untouched.`,
		Example: `  sudo sakerctl driver install ghcr.io/acme/drivers/saker:^1
  sudo sakerctl driver install 127.0.0.1:5000/drivers/saker:1.0.0 --plain-http --dir /tmp/drivers`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Ref = driverartifact.DefaultRef
			if len(args) == 1 {
				o.Ref = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runInstall(cmd.Context(), f, o)
		},
	}
	c.Flags().StringVar(&o.Dir, "dir", "", "drivers directory (default: driver.dir, else /etc/falco/drivers)")
	c.Flags().StringVar(&o.Variant, "variant", "", "install only this attach variant: tp_btf or raw_tracepoint (default: the first that loads, tp_btf first)")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output format: text or json")
	regcmd.AddTransportFlags(c.Flags(), &o.Transport)
	return c
}

func runInstall(ctx context.Context, f *cli.Factory, o *InstallOptions) error {
	if err := cli.ValidateOutput(o.Output); err != nil {
		return err
	}
	var variant drivers.Mode
	if o.Variant != "" {
		v, err := driverartifact.ParseVariant(o.Variant)
		if err != nil {
			return fmt.Errorf("--variant: %w", err)
		}
		variant = v
	}
	dir, err := driversDir(f, o.Dir)
	if err != nil {
		return err
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	res, err := regcmd.NewResolver(f, o.Transport)
	if err != nil {
		return err
	}
	inst, err := driverartifact.Install(ctx, res, o.Ref, driverartifact.InstallOptions{
		Dir: dir, State: artifacts.OpenState(cfg.StateDir()), Variant: variant, Logger: f.Logger(),
	})
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return cli.PrintJSON(f.IO.Out, struct {
			*driverartifact.Installed
			Object string `json:"object"`
		}{inst, inst.Object})
	}
	fmt.Fprintf(f.IO.Out, "installed driver %s %s (linux/%s %s) from %s: %s\n", inst.Name, inst.Version, inst.Arch, inst.Variant, inst.Ref, inst.Object)
	return nil
}
