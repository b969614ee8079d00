package faultproxy_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sakersec/saker/internal/faultproxy"
)

var blob = bytes.Repeat([]byte("0123456789abcdef"), 4096)

const blobPath = "/v2/falco/rules/blobs/sha256:" + "aa11"

func backend(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(blob)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, host, path string) (*http.Response, []byte, error) {
	t.Helper()
	// A fresh transport per request: a reset connection must not be
	// reused, and keep-alives would hide it.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + host + path)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestFaults(t *testing.T) {
	srv := backend(t)
	p, host := faultproxy.Start(t, srv.URL)

	p.SetRules(faultproxy.Rule{Match: faultproxy.BlobGets, Fault: faultproxy.Fault{Kind: faultproxy.Status, Status: 429, RetryAfter: "7"}, Times: 1})
	resp, _, err := get(t, host, blobPath)
	if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("429: %v %v", resp, err)
	}
	if resp, b, err := get(t, host, blobPath); err != nil || resp.StatusCode != 200 || !bytes.Equal(b, blob) {
		t.Fatalf("after Times ran out: %v %v", resp, err)
	}

	p.SetRules(faultproxy.Rule{Match: faultproxy.BlobGets, Fault: faultproxy.Fault{Kind: faultproxy.Status, Status: 503}})
	for range 2 {
		if resp, _, _ := get(t, host, blobPath); resp == nil || resp.StatusCode != 503 {
			t.Fatalf("503: %v", resp)
		}
	}
	// Rules select: a manifest passes untouched.
	if resp, _, _ := get(t, host, "/v2/falco/rules/manifests/1.0.0"); resp == nil || resp.StatusCode != 200 {
		t.Fatalf("unmatched request: %v", resp)
	}

	p.SetRules(faultproxy.Rule{Match: faultproxy.Any, Fault: faultproxy.Fault{Kind: faultproxy.Reset, After: 100}})
	_, b, err := get(t, host, blobPath)
	if !errors.Is(err, syscall.ECONNRESET) || len(b) != 100 {
		t.Fatalf("reset: %d bytes, err %v; want 100 bytes then ECONNRESET", len(b), err)
	}

	p.SetRules(faultproxy.Rule{Match: faultproxy.Any, Fault: faultproxy.Fault{Kind: faultproxy.Truncate}})
	_, b, err = get(t, host, blobPath)
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(b) != len(blob)/2 {
		t.Fatalf("truncate: %d bytes, err %v; want %d then unexpected EOF", len(b), err, len(blob)/2)
	}

	p.SetRules(faultproxy.Rule{Match: faultproxy.BlobGet("sha256:aa11"), Fault: faultproxy.Fault{Kind: faultproxy.Corrupt}})
	_, b, err = get(t, host, blobPath)
	if err != nil || len(b) != len(blob) || bytes.Equal(b, blob) {
		t.Fatalf("corrupt: %d bytes, err %v, equal %v", len(b), err, bytes.Equal(b, blob))
	}

	p.SetRules(faultproxy.Rule{Match: faultproxy.Any, Fault: faultproxy.Fault{Kind: faultproxy.Delay, Delay: 50 * time.Millisecond}})
	start := time.Now()
	if _, b, err := get(t, host, blobPath); err != nil || !bytes.Equal(b, blob) {
		t.Fatalf("delay: %v", err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("delayed response came after %v", d)
	}

	if n := p.Count(faultproxy.BlobGets); n != 8 {
		t.Errorf("Count(BlobGets) = %d, want 9", n)
	}
	if n := p.Faults(); n != 7 {
		t.Errorf("Faults() = %d, want 7", n)
	}
	reqs := p.Requests()
	if len(reqs) != 9 || reqs[0].Fault != faultproxy.Status || reqs[1].Fault != 0 || !strings.HasSuffix(reqs[4].Path, "/manifests/1.0.0") {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestNewRejectsBadTarget(t *testing.T) {
	if _, err := faultproxy.New("not a url"); err == nil {
		t.Fatal("no error for a target without host")
	}
}
