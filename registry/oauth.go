package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sakersec/saker/internal/atomicfile"
	"github.com/sakersec/saker/internal/config"
)

type oauthToken struct {
	token   string
	expires time.Time
}

// oauthFile is the on-disk form of saved OAuth2 client credentials. Its
// own record type carries the secret, which config.OAuthAuth hides from
// JSON output.
type oauthFile struct {
	Registries []oauthRecord `json:"registries"`
}

type oauthRecord struct {
	Registry     string `json:"registry"`
	ClientID     string `json:"clientID"`
	ClientSecret string `json:"clientSecret"`
	TokenURL     string `json:"tokenURL"`
}

// oauthFor returns the OAuth2 client credentials for host: the
// configuration first, then the saved file.
func (c *Client) oauthFor(host string) (config.OAuthAuth, bool) {
	for _, o := range c.opts.OAuth {
		if sameHost(o.Registry, host) {
			return o, true
		}
	}
	saved, err := readOAuthFile(c.opts.OAuthFile)
	if err != nil {
		c.logger.Warn("ignoring saved OAuth2 credentials", "file", c.opts.OAuthFile, "error", err)
		return config.OAuthAuth{}, false
	}
	for _, o := range saved.Registries {
		if sameHost(o.Registry, host) {
			return config.OAuthAuth(o), true
		}
	}
	return config.OAuthAuth{}, false
}

func readOAuthFile(path string) (oauthFile, error) {
	var f oauthFile
	if path == "" {
		return f, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// oauthToken returns a cached access token for host or fetches one with
// the client-credentials grant. Tokens are refreshed a minute before they
// expire, so long-running processes survive short-lived registry tokens.
func (c *Client) oauthToken(ctx context.Context, host string, oa config.OAuthAuth) (string, error) {
	c.mu.Lock()
	t, ok := c.tokens[host]
	c.mu.Unlock()
	if ok && time.Now().Before(t.expires) {
		return t.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, oa.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("OAuth2 token URL for %s: %w", host, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(oa.ClientID), url.QueryEscape(oa.ClientSecret))
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("OAuth2 token for %s: %w: %v", host, ErrUnreachable, rootCause(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("OAuth2 token for %s: %w", host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("OAuth2 token for %s: %w: token endpoint answered HTTP %d (check the client ID and secret)", host, ErrUnauthorized, resp.StatusCode)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("OAuth2 token for %s: the token endpoint returned no access_token", host)
	}
	exp := time.Now().Add(time.Hour)
	if tr.ExpiresIn > 0 {
		exp = time.Now().Add(time.Duration(tr.ExpiresIn)*time.Second - time.Minute)
	}
	c.mu.Lock()
	c.tokens[host] = oauthToken{token: tr.AccessToken, expires: exp}
	c.mu.Unlock()
	return tr.AccessToken, nil
}

// SaveOAuth checks that the client credentials obtain a token and saves
// them (file written 0600) for host.
func (c *Client) SaveOAuth(ctx context.Context, oa config.OAuthAuth) error {
	if c.opts.OAuthFile == "" {
		return errors.New("no OAuth2 credentials file configured")
	}
	if _, err := c.oauthToken(ctx, oa.Registry, oa); err != nil {
		return err
	}
	f, err := readOAuthFile(c.opts.OAuthFile)
	if err != nil {
		return err
	}
	replaced := false
	for i := range f.Registries {
		if sameHost(f.Registries[i].Registry, oa.Registry) {
			f.Registries[i] = oauthRecord(oa)
			replaced = true
		}
	}
	if !replaced {
		f.Registries = append(f.Registries, oauthRecord(oa))
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(c.opts.OAuthFile, data, 0o600)
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory, fsynced and renamed into place, so readers see the old or the
// new content, never a mix. Missing parent directories are created private
// (0700): the files written here hold credentials and install state.
func WriteFileAtomic(path string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, perm)
}
