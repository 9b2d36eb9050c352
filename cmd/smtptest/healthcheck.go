package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// healthTimeout bounds -healthcheck.
const healthTimeout = 5 * time.Second

// healthcheck is -healthcheck URL: a GET of url (an http URL, as
// http://127.0.0.1:8025/livez), status 0 if it answers 2xx within
// healthTimeout, 1 otherwise, with why on stderr. It starts no server:
// a container's health check runs it beside the running one, with no
// shell or curl in the image.
func healthcheck(rawURL string, stderr io.Writer) int {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "smtptest: -healthcheck %q: want an http URL alone, like -healthcheck http://127.0.0.1:8025/livez\n", rawURL)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		fmt.Fprintf(stderr, "smtptest: -healthcheck: %v\n", err)
		return 2
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}} // the URL's own address, not a proxy's
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "smtptest: unhealthy: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fmt.Fprintf(stderr, "smtptest: unhealthy: %s answered %s\n", u, resp.Status)
		return 1
	}
	return 0
}

// healthcheckArg finds -healthcheck URL (or -healthcheck=URL) in args;
// with other arguments beside it, ok is true and the URL "" (refused).
func healthcheckArg(args []string) (rawURL string, ok bool) {
	for i, a := range args {
		name, v, hasValue := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if name != "healthcheck" && name != "-healthcheck" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			v = args[i+1]
		}
		if len(args) != map[bool]int{true: 1, false: 2}[hasValue] {
			return "", true
		}
		return v, true
	}
	return "", false
}
