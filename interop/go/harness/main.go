// The lab's harness for golang.org/x/crypto/ssh: one program, two roles.
//
//	sshdoctor-go client HOST PORT [PORT ...]   one JSON line per port (interop/README.md)
//	sshdoctor-go server PORT KEYDIR            listens on 127.0.0.1:PORT, refuses every login
//
// Everything is the library's default: only the user name, a wrong password and
// "accept any host key" are set on the client, only the host keys and refusing
// callbacks on the server. It is built once per x/crypto version (interop/go/install.sh).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Each connection is bounded, as the harness contract asks.
const connectionTimeout = 10 * time.Second

var outMu sync.Mutex

func emit(doc interface{}) {
	line, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	outMu.Lock()
	defer outMu.Unlock()
	os.Stdout.Write(append(line, '\n'))
}

// identConn remembers the first line the peer sent (its identification string),
// which the library only exposes after a successful login.
type identConn struct {
	net.Conn
	line []byte
	done bool
}

func (c *identConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.done {
		for _, b := range p[:n] {
			if b == '\n' {
				c.done = true
				break
			}
			if len(c.line) < 255 {
				c.line = append(c.line, b)
			}
		}
	}
	return n, err
}

func (c *identConn) ident() *string {
	s := strings.TrimRight(string(c.line), "\r")
	if !strings.HasPrefix(s, "SSH-") {
		return nil
	}
	return &s
}

type clientResult struct {
	OK     bool               `json:"ok"`
	Chosen map[string]*string `json:"chosen"`
	Error  *string            `json:"error"`
	Ident  *string            `json:"ident"`
}

func connect(host, port string) clientResult {
	addr := net.JoinHostPort(host, port)
	raw, err := net.DialTimeout("tcp", addr, connectionTimeout)
	if err != nil {
		msg := err.Error()
		return clientResult{Error: &msg}
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(connectionTimeout))
	conn := &identConn{Conn: raw}
	// The host key callback runs once the server's exchange hash signature has
	// been verified: from there on the key exchange is complete but for NEWKEYS.
	hostKeySeen := false
	config := &ssh.ClientConfig{
		User: "sshdoctor",
		Auth: []ssh.AuthMethod{ssh.Password("sshdoctor-wrong-password")},
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			hostKeySeen = true
			return nil
		},
		Timeout: connectionTimeout,
	}
	customizeClient(config)
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, config)
	res := clientResult{OK: hostKeySeen, Chosen: clientChosen(c), Ident: conn.ident()}
	if err != nil {
		msg := err.Error()
		res.Error = &msg
		return res
	}
	go ssh.DiscardRequests(reqs)
	go func() {
		for ch := range chans {
			ch.Reject(ssh.Prohibited, "no channels")
		}
	}()
	c.Close()
	return res
}

func runClient(args []string) int {
	if len(args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: sshdoctor-go client HOST PORT [PORT ...]")
		return 2
	}
	host := args[0]
	for _, port := range args[1:] {
		emit(connect(host, port))
	}
	return 0
}

// hostKeyFiles: the lab's keys in the order the server adds them (Go offers host
// key algorithms in the order of its signers). OpenSSH format first, PKCS#8 PEM
// for versions that cannot read it.
var hostKeyFiles = []string{"ssh_host_ed25519_key", "ssh_host_ecdsa_key", "ssh_host_rsa_key"}

func loadSigner(dir, name string) (ssh.Signer, error) {
	var errs []string
	for _, file := range []string{name, name + ".pem"} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		signer, err := ssh.ParsePrivateKey(data)
		if err == nil {
			return signer, nil
		}
		errs = append(errs, file+": "+err.Error())
	}
	return nil, errors.New(strings.Join(errs, "; "))
}

func serve(conn net.Conn, config *ssh.ServerConfig) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(connectionTimeout))
	c, chans, reqs, err := ssh.NewServerConn(conn, config)
	if err != nil {
		// The text a Go server program sees from NewServerConn, exactly.
		fmt.Fprintf(os.Stderr, "NewServerConn %s: %s\n", conn.RemoteAddr(), err.Error())
		return
	}
	defer c.Close()
	go ssh.DiscardRequests(reqs)
	for ch := range chans {
		ch.Reject(ssh.Prohibited, "no channels")
	}
}

func runServer(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: sshdoctor-go server PORT KEYDIR")
		return 2
	}
	refuse := errors.New("sshdoctor lab: access denied")
	config := &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
			return nil, refuse
		},
		PublicKeyCallback: func(c ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			return nil, refuse
		},
		KeyboardInteractiveCallback: func(c ssh.ConnMetadata, ch ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
			return nil, refuse
		},
		// Called on the first authentication request, after the key exchange:
		// where the negotiated algorithms can be read, when the library exposes them.
		BannerCallback: func(c ssh.ConnMetadata) string {
			if chosen := serverChosen(c); chosen != nil {
				emit(map[string]interface{}{"chosen": chosen})
			}
			return ""
		},
	}
	for _, name := range hostKeyFiles {
		signer, err := loadSigner(args[1], name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "cannot load host key %s: %v\n", name, err)
			return 1
		}
		config.AddHostKey(signer)
	}
	customizeServer(config)
	listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", args[0]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	outMu.Lock()
	fmt.Println("listening")
	outMu.Unlock()
	for {
		conn, err := listener.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		go serve(conn, config)
	}
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: sshdoctor-go client|server ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "client":
		os.Exit(runClient(os.Args[2:]))
	case "server":
		os.Exit(runServer(os.Args[2:]))
	}
	fmt.Fprintln(os.Stderr, "usage: sshdoctor-go client|server ...")
	os.Exit(2)
}
