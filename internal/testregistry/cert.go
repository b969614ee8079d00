package testregistry

import (
	"encoding/pem"
	"net/http/httptest"
)

// certPEM encodes the self-signed certificate httptest serves; it is its
// own CA.
func certPEM(srv *httptest.Server) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}
