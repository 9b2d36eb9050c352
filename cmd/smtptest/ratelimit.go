package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/smtptest/smtptest"
)

// rateFlag is -rate-limit: "messages=N,recipients=N,connections=N,
// concurrent=N,period=D", each optional.
type rateFlag struct {
	smtptest.RateLimit
	set bool
}

func (f *rateFlag) String() string { return "" }

func (f *rateFlag) Set(v string) error {
	r, err := parseRateLimit(v)
	if err != nil {
		return err
	}
	f.RateLimit, f.set = r, true
	return nil
}

// parseRateLimit reads a -rate-limit value.
func parseRateLimit(v string) (smtptest.RateLimit, error) {
	var r smtptest.RateLimit
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return r, fmt.Errorf("%q: want name=value (messages, recipients, connections, concurrent, period)", kv)
		}
		if k == "period" {
			d, err := time.ParseDuration(val)
			if err != nil || d <= 0 {
				return r, fmt.Errorf("period %q: want a duration, like 1m", val)
			}
			r.Period = d
			continue
		}
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return r, fmt.Errorf("%s %q: want a number", k, val)
		}
		switch k {
		case "messages":
			r.Messages = n
		case "recipients":
			r.Recipients = n
		case "connections":
			r.Connections = n
		case "concurrent":
			r.Concurrent = n
		default:
			return r, fmt.Errorf("%q: not messages, recipients, connections, concurrent or period", k)
		}
	}
	return r, nil
}
