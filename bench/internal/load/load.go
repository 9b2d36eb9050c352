// Package load is what the bench commands share to put mail through a
// server.
package load

import "net/smtp"

// Send sends n messages of body on the session c, each from
// app@example.com to ann@example.org, and stops at the first error.
func Send(c *smtp.Client, n int, body []byte) error {
	for range n {
		if err := c.Mail("app@example.com"); err != nil {
			return err
		}
		if err := c.Rcpt("ann@example.org"); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		if _, err := w.Write(body); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	return nil
}
