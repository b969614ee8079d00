package state

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// dockerAPI asks the Docker Engine API (or Podman's Docker-compatible API)
// over a unix socket.
type dockerAPI struct {
	client *http.Client
	tr     *http.Transport
	rt     string
}

func newDockerAPI(sock, runtime string, timeout time.Duration) *dockerAPI {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		MaxIdleConns: lookupWorkers,
	}
	return &dockerAPI{client: &http.Client{Transport: tr, Timeout: timeout}, tr: tr, rt: runtime}
}

func (d *dockerAPI) runtime() string { return d.rt }
func (d *dockerAPI) close()          { d.tr.CloseIdleConnections() }

type dockerInspect struct {
	ID      string `json:"Id"`
	Name    string `json:"Name"`
	Image   string `json:"Image"`
	Created string `json:"Created"`
	State   struct {
		StartedAt string `json:"StartedAt"`
	} `json:"State"`
	Config struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	HostConfig struct {
		Privileged  bool   `json:"Privileged"`
		NetworkMode string `json:"NetworkMode"`
		PidMode     string `json:"PidMode"`
		IpcMode     string `json:"IpcMode"`
	} `json:"HostConfig"`
	NetworkSettings struct {
		IPAddress string `json:"IPAddress"`
	} `json:"NetworkSettings"`
	Mounts []struct {
		Source      string `json:"Source"`
		Destination string `json:"Destination"`
		Mode        string `json:"Mode"`
		RW          bool   `json:"RW"`
		Propagation string `json:"Propagation"`
	} `json:"Mounts"`
}

func (d *dockerAPI) inspect(ctx context.Context, id string) (*Container, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/containers/"+id+"/json", nil)
	if err != nil {
		return nil, err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("%s inspect %s: %w", d.rt, short(id), errNoContainer)
	default:
		return nil, fmt.Errorf("%s inspect %s: %s", d.rt, short(id), resp.Status)
	}
	var di dockerInspect
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&di); err != nil {
		return nil, fmt.Errorf("%s inspect %s: %w", d.rt, short(id), err)
	}
	full := id
	if len(di.ID) == 64 {
		full = di.ID
	}
	ct := &Container{
		ID: full, Type: d.rt, Name: strings.TrimPrefix(di.Name, "/"), Image: di.Config.Image, ImageID: strings.TrimPrefix(di.Image, "sha256:"),
		Labels: di.Config.Labels, Privileged: di.HostConfig.Privileged, HostNetwork: di.HostConfig.NetworkMode == "host",
		HostPID: di.HostConfig.PidMode == "host", HostIPC: di.HostConfig.IpcMode == "host", IP: di.NetworkSettings.IPAddress,
	}
	ct.ImageRepository, ct.ImageTag, ct.ImageDigest = SplitImage(di.Config.Image)
	if ts, err := time.Parse(time.RFC3339Nano, di.State.StartedAt); err == nil && ts.Year() > 1 {
		ct.StartTS = ts.UnixNano()
	}
	for _, m := range di.Mounts {
		ct.Mounts = append(ct.Mounts, Mount{Source: m.Source, Dest: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation})
	}
	if _, ok := ct.Labels["io.kubernetes.pod.name"]; ok {
		if ct.Labels["io.kubernetes.container.name"] != "" {
			ct.Name = ct.Labels["io.kubernetes.container.name"]
		}
	}
	return ct, nil
}

// short is the 12-character id for messages.
func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
