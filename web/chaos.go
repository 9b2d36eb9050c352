package web

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/smtptest/smtptest"
)

// Mailpit's chaos (GET and PUT /api/v1/chaos) is three triggers, each a
// reply code and a probability in percent: Sender at MAIL, Recipient at
// each RCPT, Authentication at AUTH. Here they are faults like any other
// (listed in /api/faults, seeded by -seed), and what GET reports is read
// back from the faults in force, so a -fault 'rcpt reply 550' shows as a
// Recipient trigger of 550 at 100%.

type chaosTrigger struct {
	ErrorCode   int
	Probability int
}

type chaosTriggers struct {
	Sender         chaosTrigger
	Recipient      chaosTrigger
	Authentication chaosTrigger
}

// chaosKinds are the triggers: where each acts, its default code and the
// text of its reply (Mailpit's).
var chaosKinds = []struct {
	get   func(*chaosTriggers) *chaosTrigger
	stage smtptest.Stage
	spec  string
	code  int
	text  string
}{
	{func(t *chaosTriggers) *chaosTrigger { return &t.Sender }, smtptest.StageMail, "mail", 451, "Chaos sender error"},
	{func(t *chaosTriggers) *chaosTrigger { return &t.Recipient }, smtptest.StageRcpt, "rcpt", 451, "Chaos recipient error"},
	{func(t *chaosTriggers) *chaosTrigger { return &t.Authentication }, smtptest.StageAuth, "auth", 535, "Chaos authentication error"},
}

// chaos reports the triggers the faults in force amount to: for each
// stage, the fault PUT /api/v1/chaos made, or else the first that only
// replies, to every command of the stage.
func (fs *faultSet) chaos() chaosTriggers {
	var t chaosTriggers
	items := fs.list()
	for _, k := range chaosKinds {
		tr := k.get(&t)
		*tr = chaosTrigger{ErrorCode: k.code}
		best := -1
		for i, it := range items {
			f := it.fault
			if f.Stage != k.stage || f.Reply == nil || f.Match != "" || f.Delay != 0 || f.Drop || f.Times != 0 {
				continue
			}
			if best < 0 || (it.chaos && !items[best].chaos) {
				best = i
			}
		}
		if best >= 0 {
			f := items[best].fault
			tr.ErrorCode, tr.Probability = f.Reply.Code, 100
			if f.Rate > 0 {
				tr.Probability = int(math.Round(f.Rate * 100))
			}
		}
	}
	return t
}

// setChaos replaces the faults the last PUT /api/v1/chaos made with those
// of t: a trigger of probability 0 (or left out) adds none. A code of 0
// is the trigger's default, as in Mailpit.
func (fs *faultSet) setChaos(t chaosTriggers) error {
	var specs []string
	for _, k := range chaosKinds {
		tr := k.get(&t)
		if tr.ErrorCode == 0 {
			tr.ErrorCode = k.code
		}
		if tr.ErrorCode < 400 || tr.ErrorCode > 599 {
			return errors.New("error code must be between 400 and 599")
		}
		if tr.Probability < 0 || tr.Probability > 100 {
			return errors.New("probability must be between 0 and 100")
		}
		switch tr.Probability {
		case 0:
		case 100:
			specs = append(specs, fmt.Sprintf("%s reply %d %s", k.spec, tr.ErrorCode, k.text))
		default:
			specs = append(specs, fmt.Sprintf("%s rate=%s reply %d %s", k.spec, strconv.FormatFloat(float64(tr.Probability)/100, 'f', -1, 64), tr.ErrorCode, k.text))
		}
	}
	faults := make([]smtptest.Fault, len(specs))
	for i, spec := range specs {
		f, err := smtptest.ParseFault(spec)
		if err != nil {
			return err // cannot happen: the specs are made above
		}
		faults[i] = f
	}
	return fs.replaceChaos(specs, faults)
}
