package stream

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// loadTLS reads the key pair and the CA bundle of a TLS interface.
func loadTLS(s ifc.Spec) (tls.Certificate, *x509.CertPool, error) {
	cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
	if err != nil {
		return cert, nil, fmt.Errorf("load TLS key pair %s, %s: %w", s.CertFile, s.KeyFile, err)
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return cert, nil, fmt.Errorf("load TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return cert, nil, fmt.Errorf("load TLS CA %s: no PEM certificate in it", s.CAFile)
	}
	return cert, pool, nil
}

// serverTLS is libtrap's server side: TLS 1.2 or later, and every client must
// present a certificate that the CA signed.
func serverTLS(s ifc.Spec) (*tls.Config, error) {
	cert, pool, err := loadTLS(s)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// clientTLS is libtrap's client side. The client always presents its certificate:
// the C server names its own certificate, not the CA, as the acceptable issuer, so
// Go's automatic choice would send none. The server's chain is checked against the
// CA without a host name check, as OpenSSL does for libtrap.
func clientTLS(s ifc.Spec) (*tls.Config, error) {
	cert, pool, err := loadTLS(s)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &cert, nil
		},
		InsecureSkipVerify: true, // replaced by verifyChain below, which skips host names
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyChain(cs.PeerCertificates, pool)
		},
		MinVersion: tls.VersionTLS12,
	}, nil
}

func verifyChain(certs []*x509.Certificate, roots *x509.CertPool) error {
	if len(certs) == 0 {
		return fmt.Errorf("verify TLS server: no certificate presented")
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		return fmt.Errorf("verify TLS server certificate %q: %w", certs[0].Subject, err)
	}
	return nil
}
