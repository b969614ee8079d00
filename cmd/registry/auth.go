package registry

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/internal/config"
	"github.com/sakersec/saker/registry"
)

func newAuthCmd(f *cli.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "auth",
		Short: "Save registry credentials",
	}
	c.AddCommand(newBasicCmd(f, nil), newOAuthCmd(f, nil))
	return c
}

// BasicOptions are the inputs of `registry auth basic`.
type BasicOptions struct {
	Host          string
	Username      string
	Password      string
	PasswordStdin bool
	Transport     registry.Flags
}

func newBasicCmd(f *cli.Factory, runF func(context.Context, *BasicOptions) error) *cobra.Command {
	o := &BasicOptions{}
	c := &cobra.Command{
		Use:   "basic HOST",
		Short: "Check a username and password against a registry and save them",
		Long: `Check the credentials against HOST and save them in the docker-style credential
store (registry.creds.config, default STATE_DIR/creds.json, written 0600; a
credsStore or credHelpers entry in that file sends them to a credential helper).
Without --username/--password they are read from the terminal, or from stdin
one per line.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Host = args[0]
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runBasic(cmd.Context(), f, o)
		},
	}
	c.Flags().StringVarP(&o.Username, "username", "u", "", "username")
	c.Flags().StringVarP(&o.Password, "password", "p", "", "password (prefer --password-stdin: flags show in the process list)")
	c.Flags().BoolVar(&o.PasswordStdin, "password-stdin", false, "read the password from stdin")
	AddTransportFlags(c.Flags(), &o.Transport)
	return c
}

func runBasic(ctx context.Context, f *cli.Factory, o *BasicOptions) error {
	in := bufio.NewReader(f.IO.In)
	var err error
	if o.Username == "" {
		if o.Username, err = prompt(f, in, "Username: ", false); err != nil {
			return err
		}
	}
	if o.Password == "" || o.PasswordStdin {
		if o.Password, err = prompt(f, in, "Password: ", true); err != nil {
			return err
		}
	}
	if o.Username == "" || o.Password == "" {
		return errors.New("registry auth basic: username and password must not be empty")
	}
	client, err := NewClient(f, o.Transport)
	if err != nil {
		return err
	}
	if err := client.Login(ctx, o.Host, o.Username, o.Password); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "credentials for %s saved\n", o.Host)
	return nil
}

// prompt reads one line; on a terminal it asks and, for secrets, does not
// echo.
func prompt(f *cli.Factory, in *bufio.Reader, label string, secret bool) (string, error) {
	if file, ok := f.IO.In.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		fmt.Fprint(f.IO.ErrOut, label)
		if secret {
			b, err := term.ReadPassword(int(file.Fd()))
			fmt.Fprintln(f.IO.ErrOut)
			return strings.TrimSpace(string(b)), err
		}
	}
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// OAuthOptions are the inputs of `registry auth oauth`.
type OAuthOptions struct {
	Host         string
	ClientID     string
	ClientSecret string
	TokenURL     string
	Transport    registry.Flags
}

func newOAuthCmd(f *cli.Factory, runF func(context.Context, *OAuthOptions) error) *cobra.Command {
	o := &OAuthOptions{}
	c := &cobra.Command{
		Use:   "oauth HOST",
		Short: "Save OAuth2 client credentials for a registry",
		Long: `Obtain a token from --token-url with the client-credentials grant to check them, then
save the client credentials (STATE_DIR/oauth.json, written 0600). Tokens are
fetched again before they expire.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Host = args[0]
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runOAuth(cmd.Context(), f, o)
		},
	}
	c.Flags().StringVar(&o.ClientID, "client-id", "", "OAuth2 client ID (required)")
	c.Flags().StringVar(&o.ClientSecret, "client-secret", "", "OAuth2 client secret (required)")
	c.Flags().StringVar(&o.TokenURL, "token-url", "", "OAuth2 token endpoint (required)")
	_ = c.MarkFlagRequired("client-id")
	_ = c.MarkFlagRequired("client-secret")
	_ = c.MarkFlagRequired("token-url")
	AddTransportFlags(c.Flags(), &o.Transport)
	return c
}

func runOAuth(ctx context.Context, f *cli.Factory, o *OAuthOptions) error {
	client, err := NewClient(f, o.Transport)
	if err != nil {
		return err
	}
	err = client.SaveOAuth(ctx, config.OAuthAuth{Registry: o.Host, ClientID: o.ClientID, ClientSecret: o.ClientSecret, TokenURL: o.TokenURL})
	if err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "OAuth2 client credentials for %s saved\n", o.Host)
	return nil
}
