package assert_test

import (
	"fmt"
	"net/http"
	"net/smtp"
	"sync"
	"testing"

	"github.com/smtptest/smtptest"
	"github.com/smtptest/smtptest/assert"
)

// newsletterApp is an application under test: it sends its newsletter
// to its subscribers and serves the links the mail has (a verification
// page, and RFC 8058 one-click unsubscription).
type newsletterApp struct {
	smtpAddr string
	mu       sync.Mutex
	gone     map[string]bool // unsubscribed
}

func (a *newsletterApp) send(to ...string) error {
	for _, rcpt := range to {
		a.mu.Lock()
		gone := a.gone[rcpt]
		a.mu.Unlock()
		if gone {
			continue
		}
		msg := "From: News <news@app.example>\r\nTo: " + rcpt + "\r\nSubject: This week\r\n" +
			"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <w49." + rcpt + ">\r\n" +
			"List-Unsubscribe: <https://app.example/unsubscribe?u=" + rcpt + ">\r\n" +
			"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n" +
			"Read it at https://app.example/week/49\r\n"
		if err := smtp.SendMail(a.smtpAddr, nil, "news@app.example", []string{rcpt}, []byte(msg)); err != nil {
			return err
		}
	}
	return nil
}

func (a *newsletterApp) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /week/{n}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "week %s", r.PathValue("n")) })
	mux.HandleFunc("POST /unsubscribe", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("List-Unsubscribe") != "One-Click" {
			http.Error(w, "one-click only", http.StatusBadRequest)
			return
		}
		a.mu.Lock()
		a.gone[r.URL.Query().Get("u")] = true
		a.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// LinksWork clicks every link of the mail through the application's own
// handler: the mail's https://app.example goes to it, in process.
func ExampleLinksWork() {
	runTest(func(t testing.TB) { // func TestNewsletterLinks(t *testing.T) {
		srv := smtptest.NewServer(t)
		app := &newsletterApp{smtpAddr: srv.Addr(), gone: map[string]bool{}}
		if err := app.send("ann@example.org"); err != nil {
			t.Fatal(err)
		}
		ok := assert.LinksWork(t, srv, assert.Follow{Hosts: map[string]http.Handler{"app.example": app.handler()}})
		fmt.Println("links work:", ok)
	})
	// Output: links work: true
}

// OneClickUnsubscribe proves RFC 8058 end to end: the POST a mail client
// makes is answered 2xx, and the next send leaves the recipient out.
func ExampleOneClickUnsubscribe() {
	runTest(func(t testing.TB) { // func TestUnsubscribe(t *testing.T) {
		srv := smtptest.NewServer(t)
		app := &newsletterApp{smtpAddr: srv.Addr(), gone: map[string]bool{}}
		if err := app.send("ann@example.org", "bob@example.org"); err != nil {
			t.Fatal(err)
		}
		follow := assert.Follow{Handler: app.handler()}
		fmt.Println("ann unsubscribed:", assert.To("ann@example.org").OneClickUnsubscribe(t, srv, follow))

		srv.Reset()
		if err := app.send("ann@example.org", "bob@example.org"); err != nil {
			t.Fatal(err)
		}
		fmt.Println("no more mail to ann:", assert.To("ann@example.org").NoMail(t, srv))
		fmt.Println("bob still gets it:", assert.To("bob@example.org").Count(t, srv, 1))
	})
	// Output:
	// ann unsubscribed: true
	// no more mail to ann: true
	// bob still gets it: true
}

// ClientSupport fails a test whose mail uses what the readers' clients
// lack (caniemail's data; lint.ClientNames lists the names).
func ExampleClientSupport() {
	runTest(func(t testing.TB) { // func TestWelcomeRendersInOutlook(t *testing.T) {
		srv := smtptest.NewServer(t)
		msg := "From: App <app@example.com>\r\nTo: ann@example.org\r\nSubject: Welcome\r\n" +
			"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/html\r\n\r\n<table><tr><td bgcolor=\"#ffffff\">Welcome, Ann.</td></tr></table>\r\n"
		if err := smtp.SendMail(srv.Addr(), nil, "app@example.com", []string{"ann@example.org"}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		fmt.Println("fine in Outlook and Gmail:", assert.ClientSupport(t, srv, "outlook.windows", "gmail"))
	})
	// Output: fine in Outlook and Gmail: true
}
