package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/smtptest/smtptest/dkimtest"
)

// dkimKeyFlag collects -dkim-key domain:selector:file.
type dkimKeyFlag []*dkimtest.Key

func (f *dkimKeyFlag) String() string { return "" }
func (f *dkimKeyFlag) Set(v string) error {
	domain, rest, ok1 := strings.Cut(v, ":")
	selector, file, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || domain == "" || selector == "" || file == "" {
		return errors.New("want domain:selector:file")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	k, err := dkimtest.ParseKey(domain, selector, b)
	if err != nil {
		return fmt.Errorf("%s: %v", file, strings.TrimPrefix(err.Error(), "dkimtest: "))
	}
	*f = append(*f, k)
	return nil
}
