// Package interop holds smtptest's interoperability tests: real mail
// clients, Go libraries and external programs, sending through smtptest.
// It is a module of its own so that users of smtptest never inherit these
// dependencies.
package interop
