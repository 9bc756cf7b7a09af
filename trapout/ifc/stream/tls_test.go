package stream

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowprobe/flowprobe/trapout/ifc"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string
}

func newCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	file := filepath.Join(dir, name+".crt")
	writePEM(t, file, "CERTIFICATE", der)
	return &testCA{cert: cert, key: key, file: file}
}

// issue makes a key pair signed by ca and returns the key and certificate files.
// Like the libtrap test certificates, it names no host.
func (ca *testCA) issue(t *testing.T, dir, name string) (keyFile, certFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile = filepath.Join(dir, name+".key")
	certFile = filepath.Join(dir, name+".crt")
	writePEM(t, keyFile, "EC PRIVATE KEY", kder)
	writePEM(t, certFile, "CERTIFICATE", der)
	return keyFile, certFile
}

func writePEM(t *testing.T, file, typ string, der []byte) {
	t.Helper()
	b := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, dir, "ca")
	other := newCA(t, dir, "other-ca")
	skey, scert := ca.issue(t, dir, "server")
	ckey, ccert := ca.issue(t, dir, "client")
	bkey, bcert := other.issue(t, dir, "stranger")

	specs, err := ifc.Parse("T:1:"+skey+":"+scert+":"+ca.file, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	specs[0].Host, specs[0].Port = "127.0.0.1", "0"
	srv, err := NewServer(specs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetFormat(formatA)
	port := portOf(srv)

	client := func(key, cert, caFile string) *Client {
		s, err := ifc.Parse("T:127.0.0.1:"+port+":"+key+":"+cert+":"+caFile+
			":timeout=500000", 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		return newClient(t, s[0])
	}

	t.Run("trusted client", func(t *testing.T) {
		c := client(ckey, ccert, ca.file)
		if _, changed, err := c.Recv(); err != nil || !changed {
			t.Fatalf("first Recv: %v %v", changed, err)
		}
		srv.Send([]byte("secret"))
		srv.Flush()
		m, _, err := c.Recv()
		if err != nil || string(m) != "secret" {
			t.Fatalf("got %q, %v", m, err)
		}
	})
	t.Run("client trusting another CA", func(t *testing.T) {
		c := client(ckey, ccert, other.file)
		_, _, err := c.Recv()
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "certificate") {
			t.Fatalf("error %v, want a refusal naming the certificate", err)
		}
	})
	t.Run("client with a certificate of another CA", func(t *testing.T) {
		c := client(bkey, bcert, ca.file)
		_, _, err := c.Recv()
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("error %v, want the server to refuse the client", err)
		}
	})
}
