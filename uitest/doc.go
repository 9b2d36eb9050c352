// Package uitest tests cmd/smtptest's web UI in a real browser: headless
// Chromium (Debian's chromium, which .ci/run installs) driven by
// github.com/chromedp/chromedp. It is a module of its own, so that users
// of smtptest never inherit chromedp.
package uitest
