package dkimtest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Keys is a registry of public keys, the test's stand-in for the DNS: a
// verifier looks a signature's key up here by its domain and selector,
// and nowhere else. The zero Keys is empty and ready to use; a Keys must
// not be copied after first use. Its methods may be called from many
// goroutines at once.
type Keys struct {
	mu sync.Mutex
	m  map[string]*Key // by record name, "s1._domainkey.example.com"
}

// NewKeys returns a registry holding keys (see [Keys.Add]): the same as
// declaring a Keys and adding them.
func NewKeys(keys ...*Key) *Keys {
	ks := new(Keys)
	ks.Add(keys...)
	return ks
}

// Add registers keys, each under its domain and selector, replacing a key
// registered there before (as a new DNS record would). The registry keeps
// copies: changing a Key later changes nothing here.
func (ks *Keys) Add(keys ...*Key) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.m == nil {
		ks.m = map[string]*Key{}
	}
	for _, k := range keys {
		c := *k
		c.record = k.TXT()
		ks.m[c.name()] = &c
	}
}

// Remove unregisters the key of domain and selector, if there is one: a
// signature by it then fails with [ErrNoKey], as after a key rotation.
func (ks *Keys) Remove(domain, selector string) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	delete(ks.m, recordName(domain, selector))
}

// Lookup returns the key registered for domain and selector (names
// compare case-insensitively).
func (ks *Keys) Lookup(domain, selector string) (*Key, bool) {
	k, ok := ks.lookup(recordName(domain, selector))
	if !ok {
		return nil, false
	}
	c := *k
	return &c, true
}

// All returns copies of the registered keys, sorted by domain and
// selector.
func (ks *Keys) All() []*Key {
	if ks == nil {
		return nil
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	var out []*Key
	for _, name := range slices.Sorted(maps.Keys(ks.m)) {
		c := *ks.m[name]
		out = append(out, &c)
	}
	return out
}

func (ks *Keys) lookup(name string) (*Key, bool) {
	if ks == nil {
		return nil, false
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	k, ok := ks.m[strings.ToLower(strings.TrimSuffix(name, "."))]
	return k, ok
}

// lookupTXT answers a verifier's DNS query for name from the registry.
func (ks *Keys) lookupTXT(name string) ([]string, error) {
	if k, ok := ks.lookup(name); ok {
		return []string{k.record}, nil
	}
	var known []string
	for _, k := range ks.All() {
		known = append(known, k.name())
	}
	if len(known) == 0 {
		return nil, fmt.Errorf("no key registered for %s (none is)", name)
	}
	return nil, fmt.Errorf("no key registered for %s (registered: %s)", name, strings.Join(known, ", "))
}
