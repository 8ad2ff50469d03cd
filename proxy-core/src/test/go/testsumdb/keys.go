package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
)

func decodeSeed(b64 string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return nil, errors.New("not an Ed25519 signer key")
	}
	return raw[1:], nil
}

func publicKeyFromSeed(seed []byte) ed25519.PublicKey {
	return ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
}
