package dkimtest

import (
	"strings"
	"testing"
)

// BenchmarkVerify measures one signature on a 1 KiB message, and a key's
// generation.
func BenchmarkVerify(b *testing.B) {
	msg := plain + strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n", 16)
	for _, alg := range []Algorithm{RSA, Ed25519} {
		k := keyOf(b, "example.com", "s", alg)
		var ks Keys
		ks.Add(k)
		signed := []byte(sign(b, msg, k, relaxed))
		b.Run("verify/"+string(alg), func(b *testing.B) {
			for b.Loop() {
				if rs, err := Verify(signed, &ks); err != nil || !rs[0].Verified() {
					b.Fatal(rs, err)
				}
			}
		})
		b.Run("generate/"+string(alg), func(b *testing.B) {
			for b.Loop() {
				keyOf(b, "example.com", "s", alg)
			}
		})
	}
}
