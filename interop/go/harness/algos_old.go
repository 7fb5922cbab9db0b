//go:build !sshdoctor_algos

// Before x/crypto v0.39.0 the library does not say what it negotiated.
package main

import "golang.org/x/crypto/ssh"

func serverChosen(c ssh.ConnMetadata) map[string]*string { return nil }

func clientChosen(c ssh.Conn) map[string]*string { return nil }
