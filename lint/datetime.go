package lint

import (
	"fmt"
	"strings"
	"time"
)

// dateTime is a date-time as RFC 5322 3.3 writes it.
type dateTime struct {
	weekday     string // "" if none; as written
	day, year   int
	month       time.Month
	hour, min   int
	sec         int
	zone        string // as written: "+0200", "GMT", ...
	weekdayWant string // the weekday the date implies, when weekday is not it
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
var monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// obsZones are the zones of obs-zone (RFC 5322 4.3) besides the military
// letters.
var obsZones = []string{"UT", "GMT", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"}

// digits reads a run of digits and returns it.
func (p *scan) digits() string {
	start := p.i
	for !p.eof() && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		p.i++
	}
	return string(p.s[start:p.i])
}

// alphas reads a run of letters.
func (p *scan) alphas() string {
	start := p.i
	for !p.eof() && ('a' <= p.s[p.i]|0x20 && p.s[p.i]|0x20 <= 'z') {
		p.i++
	}
	return string(p.s[start:p.i])
}

// dateTime parses date-time = [ day-of-week "," ] date time [CFWS], with
// the obsolete forms of RFC 5322 4.3 (comments, two-digit years,
// alphabetic zones), and checks that the date exists and that the
// day-of-week is the date's.
func (p *scan) dateTime() (dateTime, bool) {
	var d dateTime
	p.cfws()
	if w := p.alphas(); w != "" {
		d.weekday = w
		if !slicesContainsFold(dayNames, w) {
			p.i -= len(w)
			return d, p.fail("day-of-week %q is not Mon, Tue, Wed, Thu, Fri, Sat or Sun", w)
		}
		if p.cfws(); p.peek() != ',' {
			return d, p.fail("expected ',' after the day-of-week")
		}
		p.i++
	}
	p.cfws()
	day := p.digits()
	if len(day) < 1 || len(day) > 2 {
		return d, p.fail("expected a day of one or two digits")
	}
	d.day = atoi(day)
	p.cfws()
	m := p.alphas()
	mi := indexFold(monthNames, m)
	if mi < 0 {
		p.i -= len(m)
		return d, p.fail("expected a month (Jan ... Dec)")
	}
	d.month = time.Month(mi + 1)
	p.cfws()
	year := p.digits()
	switch {
	case len(year) >= 4:
		d.year = atoi(year)
	case len(year) == 2:
		p.obs("a two-digit year (obs-year)")
		if d.year = atoi(year); d.year < 50 {
			d.year += 2000
		} else {
			d.year += 1900
		}
	case len(year) == 3:
		p.obs("a three-digit year (obs-year)")
		d.year = atoi(year) + 1900
	default:
		return d, p.fail("expected a year of four digits")
	}
	if len(year) >= 4 && d.year < 1900 {
		p.i -= len(year)
		return d, p.fail("year %s is before 1900", year)
	}
	// time-of-day = hour ":" minute [ ":" second ]; each 2DIGIT.
	two := func(what string) (int, bool) {
		if p.cfws() {
			p.obs("comments or white space inside the time of day (obs-hour, obs-minute, obs-second)")
		}
		n := p.digits()
		if len(n) != 2 {
			p.i -= len(n)
			return 0, p.fail("%s %q is not two digits", what, n)
		}
		return atoi(n), true
	}
	if !p.cfws() && p.err == "" {
		return d, p.fail("expected white space before the time")
	}
	var ok bool
	if d.hour, ok = two("hour"); !ok {
		return d, false
	}
	colon := func() bool {
		sp := p.cfws()
		if p.peek() != ':' {
			return false
		}
		if sp {
			p.obs("comments or white space inside the time of day (obs-hour, obs-minute, obs-second)")
		}
		p.i++
		return true
	}
	if !colon() {
		return d, p.fail("expected ':' after the hour")
	}
	if d.min, ok = two("minute"); !ok {
		return d, false
	}
	save := p.i
	if colon() {
		if d.sec, ok = two("second"); !ok {
			return d, false
		}
	} else {
		p.i = save
	}
	if d.hour > 23 || d.min > 59 || d.sec > 60 {
		return d, p.fail("time %02d:%02d:%02d does not exist", d.hour, d.min, d.sec)
	}
	// zone = (FWS ( "+" / "-" ) 4DIGIT) / obs-zone
	p.cfws()
	switch c := p.peek(); {
	case c == '+' || c == '-':
		p.i++
		z := p.digits()
		if len(z) != 4 {
			return d, p.fail("zone %q is not +hhmm or -hhmm", string(c)+z)
		}
		if atoi(z[2:]) > 59 {
			return d, p.fail("zone %q has %s minutes", string(c)+z, z[2:])
		}
		d.zone = string(c) + z
	default:
		z := p.alphas()
		d.zone = z
		upper := strings.ToUpper(z)
		switch {
		case z == "":
			return d, p.fail("expected a zone, +hhmm or -hhmm")
		case slicesContainsFold(obsZones, z):
			p.obs("an alphabetic zone " + upper + " (obs-zone: write +0000 or the offset)")
		case len(z) == 1 && upper != "J":
			p.obs("a military zone letter (obs-zone; RFC 5322 4.3 says to read it as -0000)")
		default:
			p.i -= len(z)
			hint := ""
			if upper == "UTC" {
				hint = " (Go's time.RFC1123 writes UTC: use time.RFC1123Z, or net/mail's formatting)"
			}
			return d, p.fail("zone %q is not +hhmm, -hhmm or one of the obsolete UT, GMT, EST ... PDT%s", z, hint)
		}
	}
	p.cfws()
	if !p.eof() {
		return d, p.fail("unexpected text after the date-time")
	}
	// The date must exist, and the day-of-week must be its (3.3).
	t := time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC)
	if d.day < 1 || t.Day() != d.day {
		p.i = 0
		return d, p.fail("%d %s %d is not a date", d.day, d.month, d.year)
	}
	if d.weekday != "" && !strings.EqualFold(d.weekday, dayNames[t.Weekday()]) {
		d.weekdayWant = t.Weekday().String()[:3]
	}
	return d, true
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
		if n > 1e6 {
			return 1e6
		}
	}
	return n
}

func indexFold(list []string, s string) int {
	for i, x := range list {
		if strings.EqualFold(x, s) {
			return i
		}
	}
	return -1
}

func slicesContainsFold(list []string, s string) bool { return indexFold(list, s) >= 0 }

// String formats d for a message.
func (d dateTime) String() string {
	return fmt.Sprintf("%d %s %d", d.day, d.month.String()[:3], d.year)
}
