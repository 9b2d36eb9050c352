package wire

import "testing"

func TestMaskAuth(t *testing.T) {
	for line, want := range map[string]string{
		"AUTH PLAIN AGFsaWNlAHMzY3JldA==":   "AUTH PLAIN ****",
		"auth login YWxpY2U=":               "auth login ****",
		"AUTH\tPLAIN\tAGFsaWNl":             "AUTH\tPLAIN ****",
		"AUTH  PLAIN   x  ":                 "AUTH  PLAIN ****",
		"AUTH LOGIN":                        "AUTH LOGIN",
		"AUTH":                              "AUTH",
		"AUTH   ":                           "AUTH   ",
		"AUTHPLAIN secret":                  "AUTH ****",
		"AUTH PLAIN=secret":                 "AUTH ****",
		"AUTH A-VERY-LONG-MECHANISM-NAME x": "AUTH ****",
		"AUTH\x0bPLAIN\x0bsecret":           "AUTH\x0bPLAIN ****",
	} {
		if !IsAuthLine([]byte(line)) {
			t.Errorf("IsAuthLine(%q) = false", line)
		}
		if got := string(MaskAuth([]byte(line))); got != want {
			t.Errorf("MaskAuth(%q) = %q, want %q", line, got, want)
		}
	}
	if IsAuthLine([]byte("AUT")) || IsAuthLine([]byte("MAIL FROM:<a@b>")) {
		t.Error("IsAuthLine of other lines")
	}
	if string(MaskSASL([]byte("*"))) != "*" || string(MaskSASL([]byte("c2VjcmV0"))) != "****" {
		t.Error("MaskSASL")
	}
}

// FuzzMaskAuth: whatever follows the mechanism never survives masking.
func FuzzMaskAuth(f *testing.F) {
	f.Add([]byte("AUTH PLAIN c2VjcmV0"))
	f.Add([]byte("AUTH\tLOGIN\tc2VjcmV0"))
	f.Fuzz(func(t *testing.T, rest []byte) {
		line := append([]byte("AUTH PLAIN "), rest...)
		masked := string(MaskAuth(line))
		if masked != "AUTH PLAIN ****" && masked != "AUTH ****" && masked != "AUTH PLAIN" && masked != "AUTH PLAIN " {
			t.Fatalf("MaskAuth(%q) = %q", line, masked)
		}
	})
}
