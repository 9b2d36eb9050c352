package report

import "testing"

type item string

func (i item) String() string { return string(i) }

func TestReceived(t *testing.T) {
	if got := Received([]item{"a", "b"}); got != "2 message(s) received:\n  1. a\n  2. b" {
		t.Errorf("Received = %q", got)
	}
	if got := Received([]item(nil)); got != "0 message(s) received:" {
		t.Errorf("Received(nil) = %q", got)
	}
}
