package charttest

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/sakersec/saker/cmd"
	"github.com/sakersec/saker/internal/cli"
)

// TestContainerArgsParse checks every container command the chart renders
// against sakerctl's real command tree: the subcommand exists and its flags
// and arguments parse, so the chart and the CLI cannot drift apart.
func TestContainerArgsParse(t *testing.T) {
	for _, set := range valueSets(t) {
		t.Run(orDefaults(set), func(t *testing.T) {
			t.Parallel()
			m := render(t, set)
			pod := m.DaemonSet.Spec.Template.Spec
			for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
				if len(c.Command) != 0 {
					t.Errorf("container %s overrides the entrypoint with %q; the image's sakerctl entrypoint is expected", c.Name, c.Command)
				}
				if err := parseArgs(c.Args); err != nil {
					t.Errorf("container %s args %q: %v", c.Name, c.Args, err)
				}
			}
		})
	}
}

// parseArgs resolves args to a sakerctl command and parses its flags and
// positional arguments without running it.
func parseArgs(args []string) error {
	root := cmd.NewRootCmd(cli.NewFactory())
	c, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if c == root || !c.Runnable() {
		return errUnknownCommand(args)
	}
	if err := c.ParseFlags(rest); err != nil {
		return err
	}
	return c.ValidateArgs(c.Flags().Args())
}

type errUnknownCommand []string

func (e errUnknownCommand) Error() string {
	return "no runnable sakerctl command for " + strings.Join(e, " ")
}
