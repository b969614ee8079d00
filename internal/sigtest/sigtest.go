// Package sigtest makes cosign v3 signature fixtures for tests, offline:
// the in-toto statement `cosign sign` signs, bundles signed with a fresh key,
// and keyless bundles from a throwaway Sigstore (Fulcio CA, Rekor log,
// timestamp authority) with the trusted_root.json that describes it.
package sigtest

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	sgbundle "github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/sign"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"google.golang.org/protobuf/encoding/protojson"
)

const (
	// PayloadType is the DSSE payload type of cosign v3 bundles.
	PayloadType = "application/vnd.in-toto+json"
	// Predicate is the predicate type `cosign sign` uses.
	Predicate = "https://sigstore.dev/cosign/sign/v1"
	// BundleMediaType is the media type of a v0.3 Sigstore bundle.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
)

// Statement is the in-toto statement `cosign sign` signs for the manifest
// digest dgst ("sha256:...").
func Statement(dgst string) []byte {
	alg, hexd, _ := strings.Cut(dgst, ":")
	b, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"digest": map[string]string{alg: hexd}}},
		"predicateType": Predicate,
		"predicate":     map[string]any{},
	})
	return b
}

// SignWithKey signs stmt with a fresh key, as `cosign sign --key
// --tlog-upload=false` does, and returns the bundle JSON and the PEM
// public key.
func SignWithKey(t testing.TB, stmt []byte) ([]byte, string) {
	t.Helper()
	kp, err := sign.NewEphemeralKeypair(nil)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := sign.Bundle(&sign.DSSEData{Data: stmt, PayloadType: PayloadType}, kp, sign.BundleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.GetPublicKeyPem()
	if err != nil {
		t.Fatal(err)
	}
	return raw, pub
}

// SignKeyless builds a throwaway Sigstore, signs stmt as identity/issuer
// and returns the cosign v3 bundle, the trusted_root.json describing that
// Sigstore, and one that lacks its transparency log.
func SignKeyless(t testing.TB, stmt []byte, identity, issuer string) (bundle, trustedRoot, noLogRoot []byte) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	vs, err := ca.NewVirtualSigstore()
	must(err)
	ent, err := vs.AttestAtTime(identity, issuer, stmt, time.Now().Add(time.Minute), true)
	must(err)
	sc, err := ent.SignatureContent()
	must(err)
	env := sc.(*sgbundle.Envelope).Envelope
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	must(err)
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	must(err)
	vc, err := ent.VerificationContent()
	must(err)
	leaf := vc.(*sgbundle.Certificate).Certificate()
	entries, err := ent.TlogEntries()
	must(err)
	tle := entries[0].TransparencyLogEntry()
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	tss, err := ent.Timestamps()
	must(err)
	var rfc []*protocommon.RFC3161SignedTimestamp
	for _, ts := range tss {
		rfc = append(rfc, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	bundle, err = protojson.Marshal(&protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: leaf.Raw}},
			TlogEntries:               []*protorekor.TransparencyLogEntry{tle},
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: rfc},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: env.PayloadType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	})
	must(err)
	// No CT logs: the virtual Fulcio embeds no SCTs, like a private CA.
	// The virtual Rekor keys its log by the hex log ID but stores the hex
	// text as the ID; trusted_root.json carries the raw ID.
	logs := vs.RekorLogs()
	for id, l := range logs {
		l.ID, err = hex.DecodeString(id)
		must(err)
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), nil, vs.TimestampingAuthorities(), logs)
	must(err)
	trustedRoot, err = tr.MarshalJSON()
	must(err)
	noLog, err := root.NewTrustedRoot(root.TrustedRootMediaType01, vs.FulcioCertificateAuthorities(), nil, vs.TimestampingAuthorities(), nil)
	must(err)
	noLogRoot, err = noLog.MarshalJSON()
	must(err)
	return bundle, trustedRoot, noLogRoot
}
