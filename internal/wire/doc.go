// Package wire is the SMTP grammar smtptest's front needs, without I/O:
// command verbs and their arguments as go-smtp reads them (verb.go),
// replies and enhanced status codes (reply.go), the DATA body's
// end-of-data and dot-stuffing state machine (dot.go), and the masking of
// AUTH secrets (auth.go). Everything here is a pure function of its input,
// tested and fuzzed on its own.
package wire
