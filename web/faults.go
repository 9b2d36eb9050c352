package web

import (
	"fmt"
	"slices"
	"sync"

	"github.com/smtptest/smtptest"
)

// faultSet is the faults in force, each with an id for the API.
type faultSet struct {
	srv     *smtptest.Server
	changed func() // called after each change, if set (before the API serves)

	mu    sync.Mutex // guards the fields below
	next  int
	items []faultItem
}

// notify tells whoever watches that the faults changed.
func (fs *faultSet) notify() {
	if fs.changed != nil {
		fs.changed()
	}
}

type faultItem struct {
	ID     int    `json:"id"`
	Spec   string `json:"spec"`
	fault  smtptest.Fault
	chaos  bool // added by PUT /api/v1/chaos
	remove func()
}

func newFaultSet(srv *smtptest.Server) *faultSet { return &faultSet{srv: srv} }

// maxFaults is the most faults in force at once: each command is checked
// against every one (20,000 faults of 4 KiB took 656 MiB and 3.1 s per
// RCPT).
const maxFaults = 256

// errTooManyFaults refuses a fault past maxFaults.
var errTooManyFaults = fmt.Errorf("%d faults are in force, the most there may be; remove one first", maxFaults)

// add puts f in force, unless maxFaults are already.
func (fs *faultSet) add(spec string, f smtptest.Fault) (faultItem, error) {
	defer fs.notify() // after the unlock
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.items) >= maxFaults {
		return faultItem{}, errTooManyFaults
	}
	fs.next++
	item := faultItem{ID: fs.next, Spec: spec, fault: f, remove: fs.srv.Inject(f)}
	fs.items = append(fs.items, item)
	return item, nil
}

func (fs *faultSet) list() []faultItem {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return slices.Clone(fs.items)
}

func (fs *faultSet) remove(id int) bool {
	defer fs.notify() // after the unlock
	fs.mu.Lock()
	defer fs.mu.Unlock()
	i := slices.IndexFunc(fs.items, func(it faultItem) bool { return it.ID == id })
	if i < 0 {
		return false
	}
	fs.items[i].remove()
	fs.items = slices.Delete(fs.items, i, i+1)
	return true
}

func (fs *faultSet) clear() {
	defer fs.notify() // after the unlock
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.srv.ClearFaults()
	fs.items = nil
}

// replaceChaos removes the faults PUT /api/v1/chaos added before and adds
// these, at once.
func (fs *faultSet) replaceChaos(specs []string, faults []smtptest.Fault) error {
	defer fs.notify() // after the unlock
	fs.mu.Lock()
	defer fs.mu.Unlock()
	others := 0
	for _, it := range fs.items {
		if !it.chaos {
			others++
		}
	}
	if others+len(faults) > maxFaults {
		return errTooManyFaults
	}
	fs.items = slices.DeleteFunc(fs.items, func(it faultItem) bool {
		if it.chaos {
			it.remove()
		}
		return it.chaos
	})
	for i, f := range faults {
		fs.next++
		fs.items = append(fs.items, faultItem{ID: fs.next, Spec: specs[i], fault: f, chaos: true, remove: fs.srv.Inject(f)})
	}
	return nil
}
