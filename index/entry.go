package index

// Entry is one artifact of an index.yaml, field for field as falcoctl
// writes it.
type Entry struct {
	// Index is the name of the index the entry was read from. It is set by
	// [Store] and never written to an index.yaml.
	Index string `yaml:"-" json:"index,omitempty"`

	Name        string       `yaml:"name" json:"name"`
	Type        string       `yaml:"type" json:"type"`
	Registry    string       `yaml:"registry" json:"registry"`
	Repository  string       `yaml:"repository" json:"repository"`
	Signature   *Signature   `yaml:"signature,omitempty" json:"signature,omitempty"`
	Description string       `yaml:"description,omitempty" json:"description,omitempty"`
	Home        string       `yaml:"home,omitempty" json:"home,omitempty"`
	Keywords    []string     `yaml:"keywords,omitempty" json:"keywords,omitempty"`
	License     string       `yaml:"license,omitempty" json:"license,omitempty"`
	Maintainers []Maintainer `yaml:"maintainers,omitempty" json:"maintainers,omitempty"`
	Sources     []string     `yaml:"sources,omitempty" json:"sources,omitempty"`
}

// Ref returns the entry's OCI repository reference without tag or digest,
// e.g. "ghcr.io/falcosecurity/rules/falco-rules".
func (e *Entry) Ref() string { return e.Registry + "/" + e.Repository }

// Maintainer is a person responsible for an artifact.
type Maintainer struct {
	Name  string `yaml:"name" json:"name"`
	Email string `yaml:"email" json:"email"`
}

// Signature describes how to verify an artifact's signature.
type Signature struct {
	Cosign *CosignSignature `yaml:"cosign,omitempty" json:"cosign,omitempty"`
}

// CosignSignature holds cosign verification parameters.
type CosignSignature struct {
	CertificateOidcIssuer       string `yaml:"certificate-oidc-issuer,omitempty" json:"certificate-oidc-issuer,omitempty"`
	CertificateOidcIssuerRegexp string `yaml:"certificate-oidc-issuer-regexp,omitempty" json:"certificate-oidc-issuer-regexp,omitempty"`
	CertificateIdentity         string `yaml:"certificate-identity,omitempty" json:"certificate-identity,omitempty"`
	CertificateIdentityRegexp   string `yaml:"certificate-identity-regexp,omitempty" json:"certificate-identity-regexp,omitempty"`
	CertificateGithubWorkflow   string `yaml:"certificate-github-workflow,omitempty" json:"certificate-github-workflow,omitempty"`
	Key                         string `yaml:"key,omitempty" json:"key,omitempty"`
	IgnoreTlog                  bool   `yaml:"ignore-tlog,omitempty" json:"ignore-tlog,omitempty"`
}
