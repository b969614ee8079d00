// Package index implements `sakerctl index`: add, list, update and remove
// the indexes that map artifact names to OCI repositories.
package index

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sakersec/saker/index"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/config"
)

// tlsFlags override registry.tls for index downloads.
type tlsFlags struct {
	caFile   string
	insecure bool
}

// NewCmd returns the index command.
func NewCmd(f *cli.Factory) *cobra.Command {
	var tf tlsFlags
	c := &cobra.Command{
		Use:   "index",
		Short: "Manage artifact indexes",
		Long: `Indexes map artifact names (falco-rules, k8saudit, ...) to OCI repositories, in
falcoctl's index.yaml format. The indexes in effect are those of the configuration file
(or FALCOCTL_INDEXES) plus those added with 'index add'; an added index replaces a
configured one of the same name. While neither names an index, falcoctl's default index
(falcosecurity, https://falcosecurity.github.io/falcoctl/index.yaml) is in effect;
'index remove falcosecurity' turns it off. 'index list' shows exactly the set artifact
commands use.`,
	}
	pf := c.PersistentFlags()
	pf.StringVar(&tf.caFile, "ca-file", "", "PEM file of extra CAs to trust for https indexes (default: registry.tls.caFile)")
	pf.BoolVar(&tf.insecure, "insecure-skip-tls-verify", false, "do not verify TLS certificates of https indexes")
	c.AddCommand(
		newAddCmd(f, &tf),
		newListCmd(f, &tf),
		newUpdateCmd(f, &tf),
		newRemoveCmd(f, &tf),
	)
	return c
}

// OpenStore opens the index store of f's configuration. Flags, when given,
// override the TLS settings of the configuration.
func openStore(f *cli.Factory, tf *tlsFlags) (*index.Store, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	opts := index.OptionsFromConfig(cfg, f.Logger())
	opts.IndexesSource = f.Options.ConfigFile
	if v := config.SetBy(f.Getenv, "indexes"); v != "" {
		opts.IndexesOrigin, opts.IndexesSource = index.OriginEnv, v
	}
	if tf != nil {
		if tf.caFile != "" {
			opts.HTTP.CAFile = tf.caFile
		}
		if tf.insecure {
			opts.HTTP.InsecureSkipVerify = true
		}
	}
	return index.OpenStore(opts)
}

func newAddCmd(f *cli.Factory, tf *tlsFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "add NAME URL [BACKEND]",
		Short: "Add an index (or change the URL of an added one)",
		Long: `Fetch and validate the index at URL and record it as NAME. BACKEND is http, https or
file; by default it follows the URL scheme. Nothing is saved if the index cannot be fetched
or is invalid. Adding an existing name with another URL updates it.`,
		Example: `  sakerctl index add falcosecurity https://falcosecurity.github.io/falcoctl/index.yaml
  sakerctl index add mirror file:///srv/falco/index.yaml`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			backend := ""
			if len(args) == 3 {
				backend = args[2]
			}
			s, err := openStore(f, tf)
			if err != nil {
				return err
			}
			return runAdd(cmd.Context(), f, s, args[0], args[1], backend)
		},
	}
}

func runAdd(ctx context.Context, f *cli.Factory, s *index.Store, name, url, backend string) error {
	res, err := s.Add(ctx, name, url, backend)
	if err != nil {
		return err
	}
	out := f.IO.Out
	switch {
	case res.PreviousURL != "":
		fmt.Fprintf(out, "Index %q updated: URL changed from %s to %s (%d artifacts)\n", name, res.PreviousURL, res.Info.URL, res.Info.Entries)
	case res.Refreshed:
		fmt.Fprintf(out, "Index %q was already added with this URL; refreshed it (%d artifacts)\n", name, res.Info.Entries)
	default:
		fmt.Fprintf(out, "Index %q added: %s (%d artifacts)\n", name, res.Info.URL, res.Info.Entries)
	}
	if res.ReplacedDefault {
		fmt.Fprintf(out, "The default index %q is no longer in effect (it is used only while no index is configured or added); 'sakerctl index add %s URL' keeps it beside this one.\n",
			config.DefaultIndexName, config.DefaultIndexName)
	}
	if res.Info.OverridesConfig {
		fmt.Fprintf(out, "It replaces the index %q of the configuration file; 'sakerctl index remove %s' restores that one.\n", name, name)
	}
	return nil
}

func newListCmd(f *cli.Factory, tf *tlsFlags) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the indexes in effect, in lookup order",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cli.ValidateOutput(output); err != nil {
				return err
			}
			s, err := openStore(f, tf)
			if err != nil {
				return err
			}
			return runList(f, s, output)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return c
}

// listItem is one row of `index list -o json`.
type listItem struct {
	index.Info
	// OriginLabel repeats the origin as the table shows it.
	Source string `json:"source"`
}

func runList(f *cli.Factory, s *index.Store, output string) error {
	infos := s.List()
	if output == "json" {
		items := make([]listItem, 0, len(infos))
		for _, in := range infos {
			items = append(items, listItem{Info: in, Source: in.OriginLabel()})
		}
		return cli.PrintJSON(f.IO.Out, items)
	}
	if len(infos) == 0 {
		if s.DefaultRemoved() {
			fmt.Fprintf(f.IO.ErrOut, "No index in effect: the default index %q was removed ('sakerctl index add %s %s' brings it back).\n",
				config.DefaultIndexName, config.DefaultIndexName, config.DefaultIndexURL)
		}
		fmt.Fprintln(f.IO.ErrOut, "No index in effect. Add one with 'sakerctl index add NAME URL' or list it under indexes in the configuration file.")
		return nil
	}
	w := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tURL\tBACKEND\tORIGIN\tUPDATED\tENTRIES")
	for _, in := range infos {
		updated, entries := "never", "-"
		if in.Fetched() {
			updated = in.UpdatedAt.UTC().Format(time.RFC3339)
			entries = fmt.Sprint(in.Entries)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", in.Name, in.URL, in.Backend, in.OriginLabel(), updated, entries)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(infos) == 1 && infos[0].Origin == index.OriginDefault {
		fmt.Fprintf(f.IO.ErrOut, "%q is falcoctl's default index, in effect because no index is configured or added; adding or configuring one replaces it, 'sakerctl index remove %s' turns it off.\n",
			infos[0].Name, infos[0].Name)
	}
	return nil
}

func newUpdateCmd(f *cli.Factory, tf *tlsFlags) *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "update [NAME...|--all]",
		Short: "Fetch indexes again (all of them by default)",
		Long: `Fetch the named indexes again, or all indexes in effect. An unchanged index is not
downloaded again (ETag). An index that cannot be fetched keeps its cached copy and makes
the command fail after the others are updated.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all && len(args) > 0 {
				return errors.New("give index names or --all, not both")
			}
			s, err := openStore(f, tf)
			if err != nil {
				return err
			}
			return runUpdate(cmd.Context(), f, s, args)
		},
	}
	c.Flags().BoolVar(&all, "all", false, "update every index in effect (the default)")
	return c
}

func runUpdate(ctx context.Context, f *cli.Factory, s *index.Store, names []string) error {
	if len(names) == 0 && len(s.List()) == 0 {
		fmt.Fprintln(f.IO.ErrOut, "No index in effect; nothing to update.")
		return nil
	}
	results, err := s.Update(ctx, names...)
	failed := 0
	for _, r := range results {
		switch {
		case r.Err != nil:
			failed++
		case r.NotModified:
			fmt.Fprintf(f.IO.Out, "Index %q is up to date (%d artifacts)\n", r.Name, r.Entries)
		default:
			fmt.Fprintf(f.IO.Out, "Index %q updated (%d artifacts)\n", r.Name, r.Entries)
		}
	}
	if err != nil && failed > 0 {
		return fmt.Errorf("%d of %d indexes could not be updated (any cached copy is kept): %w", failed, len(results), err)
	}
	return err
}

func newRemoveCmd(f *cli.Factory, tf *tlsFlags) *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME...",
		Aliases: []string{"rm"},
		Short:   "Remove added indexes",
		Long: `Remove indexes added with 'index add' and their cached copies. Indexes listed in the
configuration file are never rewritten by sakerctl: edit the file to remove them.
Removing the default index (falcosecurity, in effect while no index is configured or
added) keeps it off, as falcoctl does once it is removed from its configuration.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openStore(f, tf)
			if err != nil {
				return err
			}
			results, err := s.Remove(args...)
			if err != nil {
				return err
			}
			for _, r := range results {
				if r.Default {
					fmt.Fprintf(f.IO.Out, "Default index %q removed: it stays off until you add an index of that name ('sakerctl index add %s %s').\n",
						r.Name, r.Name, config.DefaultIndexURL)
					continue
				}
				fmt.Fprintf(f.IO.Out, "Index %q removed\n", r.Name)
				if r.DefaultRestored {
					fmt.Fprintf(f.IO.Out, "No index is configured or added any more: the default index %q is in effect again.\n", config.DefaultIndexName)
				}
				if r.RestoredConfig {
					fmt.Fprintf(f.IO.Out, "The index %q of the configuration file is in effect again.\n", r.Name)
				}
			}
			return nil
		},
	}
}
