//go:build !sshdoctor_settings

// The lab's programs keep every library default. tests/interop/test_go_settings.py
// builds the harness once more with the tag sshdoctor_settings and a file of its own
// that puts the catalog's settings templates in these two functions.
package main

import "golang.org/x/crypto/ssh"

func customizeClient(config *ssh.ClientConfig) {}

func customizeServer(config *ssh.ServerConfig) {}
