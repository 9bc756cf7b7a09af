package ipfix

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os/exec"
	"testing"
	"time"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "flowprobe test collector"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}

// TestTLSExport sends flows over TLS to a collector that verifies nothing but
// decrypts, and checks the decrypted session as any TCP session.
func TestTLSExport(t *testing.T) {
	cert, pool := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	col := collectOn(t, ln)
	records := sampleRecords(200)
	e, err := New(Options{Address: ln.Addr().String(), Transport: TCP, ObservationDomainID: 5,
		TLS: &tls.Config{RootCAs: pool}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, "connection", func(s Stats) bool { return s.Connected })
	if err := e.Export(records); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	col.waitRecords(t, 0, len(records))

	templates := map[uint16][]templateField{}
	msgs, err := decodeStream(col.session(0), templates)
	if err != nil || len(msgs[0].templates) != 2 {
		t.Fatalf("session does not open with the templates: %v", err)
	}
	var got int
	for _, m := range msgs {
		for _, rec := range m.records {
			checkRecord(t, rec, &records[got], encoding{})
			got++
		}
	}
	if _, err := exec.LookPath("ipfixDump"); err == nil {
		checkDump(t, ipfixDump(t, col.session(0)), 5, records, encoding{})
	}
}

// TestTLSRejectsUntrustedCollector checks that a collector whose certificate is not
// trusted never receives a record: the exporter keeps them buffered.
func TestTLSRejectsUntrustedCollector(t *testing.T) {
	cert, _ := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	col := collectOn(t, ln)
	e, err := New(Options{Address: ln.Addr().String(), Transport: TCP,
		TLS: &tls.Config{RootCAs: x509.NewCertPool()}, CloseTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Export(sampleRecords(10)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // several handshakes fail meanwhile
	_ = e.Flush()
	if st := e.Stats(); st.Connected || st.Connects != 0 || st.Buffered != 10 {
		t.Errorf("stats %+v, want no connection and 10 records buffered", st)
	}
	if err := e.Close(); err == nil {
		t.Error("close reported no error with 10 records undelivered")
	}
	col.stop()
	if n := len(col.session(0)); n != 0 {
		t.Errorf("untrusted collector received %d bytes", n)
	}
}
