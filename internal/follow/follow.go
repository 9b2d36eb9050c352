// Package follow lets this module's own packages be told of a server's
// events after it started. The public API has one event function, given
// at start ([smtptest.OnEvent]); the web side of a server (package web)
// is made later, from a server that is already running, and must not take
// that function from whoever started it. Package smtptest sets Events in
// its init: importing it is what makes Events usable.
package follow

// Events calls f with each event of srv (an *smtptest.Server; each ev
// an smtptest.Event) from now on, after the server's OnEvent function
// and under the same rules: one event at a time, never after Close
// returns. f must be quick and must not block. stop ends it; after stop
// returns, f is not called again.
var Events func(srv any, f func(ev any)) (stop func())
