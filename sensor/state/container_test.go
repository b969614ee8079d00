package state_test

import (
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sakersec/saker/sensor/state"
)

// fakeDockerAPI serves GET /containers/<id>/json on a unix socket for the
// containers it knows, 404 for the others, as the Docker Engine API and
// Podman's Docker-compatible API do.
func fakeDockerAPI(t *testing.T, known map[string]any) string {
	t.Helper()
	sock := filepath.Join(shortTempDir(t), "api.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/containers/"), "/json")
		for full, body := range known {
			if strings.HasPrefix(full, id) {
				json.NewEncoder(w).Encode(body)
				return
			}
		}
		http.Error(w, `{"message":"no such container"}`, http.StatusNotFound)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock
}

// A Podman container: Docker does not know it, Podman's Docker-compatible
// API does, and the container's type says podman.
func TestPodmanThroughDockerAPI(t *testing.T) {
	id := strings.Repeat("7", 64)
	docker := fakeDockerAPI(t, nil)
	podman := fakeDockerAPI(t, map[string]any{id: map[string]any{
		"Id": id, "Name": "/db", "Image": "sha256:" + strings.Repeat("1", 64),
		"Config":     map[string]any{"Image": "quay.io/team/db:16", "Labels": map[string]string{"tier": "data"}},
		"HostConfig": map[string]any{"Privileged": true, "NetworkMode": "host"},
	}})
	h := newHarness(t, state.ContainersOptions{
		Docker: state.EngineOptions{Sockets: []string{docker}}, Podman: state.EngineOptions{Sockets: []string{podman}},
		CRI: state.EngineOptions{Disabled: true},
	})
	h.exec("/machine.slice/libpod-" + id + ".scope")
	h.waitResolved(id)
	h.expect(map[string]any{
		"container.type": "podman", "container.name": "db", "container.image.repository": "quay.io/team/db",
		"container.image.tag": "16", "container.label[tier]": "data", "container.privileged": true, "container.host_network": true,
	})
}

// The event path's cost of a container field: one cache read.
func BenchmarkContainersGet(b *testing.B) {
	c := state.NewContainers(state.ContainersOptions{})
	id := strings.Repeat("a", 64)
	c.Set(&state.Container{ID: id, Name: "web", Resolved: true})
	b.ReportAllocs()
	for b.Loop() {
		if c.Get(id) == nil {
			b.Fatal("miss")
		}
	}
}
