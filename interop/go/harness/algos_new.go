//go:build sshdoctor_algos

// From x/crypto v0.39.0 a connection's metadata tells the negotiated algorithms
// (ssh.AlgorithmsConnMetadata); compression is not exposed.
package main

import "golang.org/x/crypto/ssh"

func strOrNil(s string) *string {
	if s == "" {
		return nil // a MAC made implicit by an AEAD cipher
	}
	return &s
}

func algorithms(c interface{}) (ssh.NegotiatedAlgorithms, bool) {
	m, ok := c.(ssh.AlgorithmsConnMetadata)
	if !ok {
		return ssh.NegotiatedAlgorithms{}, false
	}
	return m.Algorithms(), true
}

func serverChosen(c ssh.ConnMetadata) map[string]*string {
	a, ok := algorithms(c)
	if !ok {
		return nil
	}
	// The server reads client-to-server and writes server-to-client.
	return map[string]*string{
		"kex": strOrNil(a.KeyExchange), "hostkey": strOrNil(a.HostKey),
		"cipher_c2s": strOrNil(a.Read.Cipher), "cipher_s2c": strOrNil(a.Write.Cipher),
		"mac_c2s": strOrNil(a.Read.MAC), "mac_s2c": strOrNil(a.Write.MAC),
	}
}

func clientChosen(c ssh.Conn) map[string]*string {
	// The client gets a connection only after a successful login, which the
	// lab's servers never allow; kept for completeness.
	if c == nil {
		return nil
	}
	a, ok := algorithms(c)
	if !ok {
		return nil
	}
	return map[string]*string{
		"kex": strOrNil(a.KeyExchange), "hostkey": strOrNil(a.HostKey),
		"cipher_c2s": strOrNil(a.Write.Cipher), "cipher_s2c": strOrNil(a.Read.Cipher),
		"mac_c2s": strOrNil(a.Write.MAC), "mac_s2c": strOrNil(a.Read.MAC),
	}
}
