package registry

import (
	"context"
	"sync"

	"github.com/sakersec/saker/artifacts"
	"github.com/sakersec/saker/index"
	"github.com/sakersec/saker/internal/cli"
	"github.com/sakersec/saker/registry"
)

// NewResolver builds a resolver on the configured registries and indexes.
// The index store is opened only when a name must be looked up, so full
// references work whatever state the indexes are in.
func NewResolver(f *cli.Factory, fl registry.Flags) (*artifacts.Resolver, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	client, err := registry.NewFromConfig(cfg, fl, f.Logger())
	if err != nil {
		return nil, err
	}
	idx := &lazyIndex{open: func() (*index.Store, error) {
		return index.OpenStore(index.OptionsFromConfig(cfg, f.Logger()))
	}}
	return &artifacts.Resolver{Registry: client, Index: idx, Logger: f.Logger()}, nil
}

// lazyIndex opens the index store on first use.
type lazyIndex struct {
	open  func() (*index.Store, error)
	once  sync.Once
	store *index.Store
	err   error
}

func (l *lazyIndex) get() (*index.Store, error) {
	l.once.Do(func() { l.store, l.err = l.open() })
	return l.store, l.err
}

func (l *lazyIndex) Lookup(ctx context.Context, name string) (*index.Entry, error) {
	s, err := l.get()
	if err != nil {
		return nil, err
	}
	return s.Lookup(ctx, name)
}

func (l *lazyIndex) Entries(ctx context.Context) ([]index.Entry, error) {
	s, err := l.get()
	if err != nil {
		return nil, err
	}
	return s.Entries(ctx)
}
