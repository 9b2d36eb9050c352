package dkimtest

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/smtptest/smtptest/internal/growth"
)

// folded is a header field of about n bytes folded into lines of four:
// the shape that made reading a header quadratic (each line appended to
// the field read so far).
func folded(name string, n int) string {
	return name + ": x\r\n" + strings.Repeat(" x\r\n", n/4)
}

// TestVerifyGrowsLinearly: Verify reads an unsigned message with one huge
// folded field in time linear in the field (it was quadratic: 640 KB
// took 16.5 s).
func TestVerifyGrowsLinearly(t *testing.T) {
	growth.Linear(t, func(n int) []byte {
		return []byte(folded("X-Junk", n) + plain)
	}, func(data []byte) {
		if _, err := Verify(data, nil); err != nil {
			t.Error(err)
		}
	})
}

// TestVerifyGrowsLinearlySigned: a signed message whose signed Subject is
// a huge folded field is not handed to go-msgauth (whose reader is
// quadratic in a field's lines) but answered ErrTooLarge; the time stays
// linear in the message.
func TestVerifyGrowsLinearlySigned(t *testing.T) {
	k := keyOf(t, "example.com", "s1", Ed25519)
	var ks Keys
	ks.Add(k)
	signed := sign(t, plain, k, relaxed)
	growth.Linear(t, func(n int) []byte {
		return []byte(strings.Replace(signed, "Subject: Hello\r\n", folded("Subject", n), 1))
	}, func(data []byte) {
		rs, err := Verify(data, &ks)
		if err != nil || len(rs) != 1 || !errors.Is(rs[0].Err, ErrTooLarge) {
			t.Errorf("Verify = %v, %v; want one result with ErrTooLarge", rs, err)
		}
	})
}

// TestVerifyLimits: what is past the limits gets ErrTooLarge, saying
// what and how large; what is within them, or not signed, verifies.
func TestVerifyLimits(t *testing.T) {
	k := keyOf(t, "example.com", "s1", Ed25519)
	var ks Keys
	ks.Add(k)
	bigUnsigned := folded("X-Junk", 1<<20) // not in h=: not handed over
	within := "Subject: " + strings.Repeat("y", 900) + "\r\n" + strings.Repeat(" z\r\n", MaxFieldLines-1)
	for _, c := range []struct {
		name, msg string
		edit      func(*dkim.SignOptions)
		wantErr   error
		wantText  string
	}{
		{"signed field within the limits", strings.Replace(plain, "Subject: Hello\r\n", within, 1), nil, nil, ""},
		{"signed field of too many lines", strings.Replace(plain, "Subject: Hello\r\n", within+" z\r\n", 1), nil, ErrTooLarge, `the signed field "Subject" has`},
		{"signed field of too many bytes", strings.Replace(plain, "Subject: Hello\r\n", "Subject: "+strings.Repeat("y", MaxFieldBytes)+"\r\n", 1), nil, ErrTooLarge, "bytes in 1 lines"},
		{"h= too long", plain, func(o *dkim.SignOptions) {
			for range MaxSignedFields {
				o.HeaderKeys = append(o.HeaderKeys, "X-Absent")
			}
			o.HeaderKeys = append(o.HeaderKeys, "From")
		}, ErrTooLarge, "h= lists 129 fields"},
		{"oversigned, within the limits", plain, func(o *dkim.SignOptions) {
			o.HeaderKeys = []string{"From", "From", "Subject", "Subject", "To", "Date", "Date"}
		}, nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A huge field added after signing is not signed: not
			// handed over, no matter its size.
			r := verifyOne(t, bigUnsigned+sign(t, c.msg, k, c.edit), &ks)
			if !errors.Is(r.Err, c.wantErr) || (c.wantErr == nil) != (r.Err == nil) {
				t.Fatalf("Err = %v; want %v", r.Err, c.wantErr)
			}
			if c.wantText != "" && !strings.Contains(r.Err.Error(), c.wantText) {
				t.Errorf("Err = %v; want it to say %q", r.Err, c.wantText)
			}
		})
	}
}

// TestVerifyHandsOverWhatIsPicked: a signature that signs another one
// (h=dkim-signature) and a signature after a changed duplicate field
// verify as on the whole message.
func TestVerifyHandsOverWhatIsPicked(t *testing.T) {
	k := keyOf(t, "example.com", "s1", Ed25519)
	var ks Keys
	ks.Add(k)
	inner := sign(t, plain, k, relaxed)
	outer := sign(t, inner, k, func(o *dkim.SignOptions) {
		o.HeaderKeys = []string{"From", "DKIM-Signature", "Subject"}
	})
	rs, err := Verify([]byte(outer), &ks)
	if err != nil || len(rs) != 2 || rs[0].Err != nil || rs[1].Err != nil {
		t.Fatalf("Verify = %v, %v; want two verified", rs, err)
	}
	// A Subject added above the signed one is not picked (the last
	// instance is): still verified. One added below is: not verified.
	above := "Subject: added\r\n" + inner
	if r := verifyOne(t, above, &ks); r.Err != nil {
		t.Errorf("a field above the signed one: %v", r.Err)
	}
	below := strings.Replace(inner, "\r\n\r\n", "\r\nSubject: added\r\n\r\n", 1)
	if r := verifyOne(t, below, &ks); !errors.Is(r.Err, ErrSignature) {
		t.Errorf("a field below the signed one: %v; want ErrSignature", r.Err)
	}
}
