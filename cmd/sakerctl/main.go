// Command sakerctl is Saker's single binary: artifact manager and sensor.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sakersec/saker/cmd"
	"github.com/sakersec/saker/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cmd.Execute(ctx, cli.NewFactory(), os.Args[1:])
	stop()
	os.Exit(code)
}
