// Package registry builds authenticated oras-go clients for OCI registries:
// credentials from a docker-style credential store (config file and
// credential helpers) and from the configuration (basic and OAuth2 client
// credentials), plain HTTP, custom CAs, retries on 429/5xx honouring
// Retry-After, and progress reporting. Credentials never appear in logs or
// errors.
package registry
