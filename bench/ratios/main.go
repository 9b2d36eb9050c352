// Command ratios reads `go test -bench` output of the bench package (with
// -count) and prints, as a Markdown table, the median of each measure for
// each server and its ratio to the floor, next to smtptest's targets.
package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// key is a measure of a server: the benchmark (without /server=...), the
// server, and the unit.
type key struct{ bench, server, unit string }

// A row of the table: a benchmark, a unit, whether more is better, and
// smtptest's target as a ratio to the floor.
type row struct {
	bench, unit string
	higher      bool
	target      string
}

var rows = []row{
	{"Throughput/size=1KiB/sessions=1", "msgs/s", true, ">= 1.0x"},
	{"Throughput/size=1KiB/sessions=8", "msgs/s", true, ">= 1.0x"},
	{"Throughput/size=256KiB/sessions=4", "msgs/s", true, ">= 1.0x"},
	{"Throughput/size=1KiB/sessions=1", "B/op", false, "<= 1.1x"},
	{"Throughput/size=1KiB/sessions=8", "B/op", false, "<= 1.1x"},
	{"Throughput/size=256KiB/sessions=4", "B/op", false, ""},
	{"StartSessionClose", "sec/op", false, "<= 0.8x"},
	{"StartSessionCloseSplit", "sec/op", false, "<= 0.8x"},
	{"StartSessionCloseStdlib", "sec/op", false, ""},
}

var servers = []string{"floor", "smtptest", "smtptest-tls", "go-smtp-mock", "mhale-smtpd"}

func main() {
	samples := map[key][]float64{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the GOMAXPROCS suffix, absent when it is 1
			}
		}
		bench, server := name, ""
		if i := strings.Index(name, "/server="); i >= 0 {
			bench, server = name[:i], name[i+len("/server="):]
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			unit := f[i+1]
			if unit == "ns/op" {
				unit, v = "sec/op", v/1e9
			}
			k := key{bench, server, unit}
			samples[k] = append(samples[k], v)
		}
	}
	median := func(k key) (float64, bool) {
		s := slices.Clone(samples[k])
		if len(s) == 0 {
			return 0, false
		}
		slices.Sort(s)
		if len(s)%2 == 1 {
			return s[len(s)/2], true
		}
		return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
	}

	fmt.Printf("| benchmark | unit |")
	for _, s := range servers {
		fmt.Printf(" %s |", s)
	}
	fmt.Printf(" smtptest / floor | target |\n|---|---|%s---|---|\n", strings.Repeat("---|", len(servers)))
	for _, r := range rows {
		floor, ok := median(key{r.bench, "floor", r.unit})
		if !ok {
			continue
		}
		fmt.Printf("| %s | %s |", r.bench, r.unit)
		for _, s := range servers {
			v, ok := median(key{r.bench, s, r.unit})
			if !ok {
				fmt.Printf(" |")
				continue
			}
			fmt.Printf(" %s (%.2fx) |", format(v, r.unit), v/floor)
		}
		v, _ := median(key{r.bench, "smtptest", r.unit})
		fmt.Printf(" **%.2fx** | %s |\n", v/floor, r.target)
	}
	plain, ok1 := median(key{"StartSessionClose", "smtptest", "sec/op"})
	tls, ok2 := median(key{"StartSessionClose", "smtptest-tls", "sec/op"})
	hs, ok3 := median(key{"TLSHandshakeSession", "", "sec/op"})
	if ok1 && ok2 {
		fmt.Printf("\nStart + session + close with TLS configured: %s, %.2fx the plain start (target <= 1.2x).\n", format(tls, "sec/op"), tls/plain)
	}
	if ok3 {
		fmt.Printf("A session that does the STARTTLS handshake (client side included): %s.\n", format(hs, "sec/op"))
	}
}

func format(v float64, unit string) string {
	switch unit {
	case "sec/op":
		return fmt.Sprintf("%.0f µs", v*1e6)
	case "B/op":
		return fmt.Sprintf("%.0f B", v)
	case "msgs/s":
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprint(v)
}
