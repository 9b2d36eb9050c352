package lint

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The corpus is 299 messages from seven parser projects' public test
// data (its SOURCES.md says where each came from). It lives beside the
// project, in ../shared/reference/lintworld-corpus2, and is read from
// there: it is not ours to copy. SMTPTEST_CORPUS names another place.
const corpusDir = "shared/reference/lintworld-corpus2"

// expectationsFile says, for each message of the corpus, which Error
// rules it gets; each entry was judged against the RFCs by hand.
// Regenerate it with SMTPTEST_WRITE_CORPUS=1 go test -run TestCorpus
// ./lint, then review the diff: every changed line is a changed verdict.
const expectationsFile = "testdata/corpus-expectations.txt"

// findCorpus looks for the corpus beside the repository: in the parents
// of this directory, and in those of the repository a clone was made
// from (a fresh clone in a temporary directory still finds it).
func findCorpus() string {
	if dir := os.Getenv("SMTPTEST_CORPUS"); dir != "" {
		return dir
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if out, err := exec.Command("git", "remote", "get-url", "origin").Output(); err == nil {
		if origin := strings.TrimSpace(string(out)); filepath.IsAbs(origin) {
			starts = append(starts, origin)
		}
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			if fi, err := os.Stat(filepath.Join(d, corpusDir)); err == nil && fi.IsDir() {
				return filepath.Join(d, corpusDir)
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return ""
}

// corpusMessage turns a corpus file into the message a client would have
// sent: files stored with Unix line endings (no CRLF at all) get CRLF,
// and an mbox "From " line before the header (RFC 4155) is dropped; a
// file that mixes line endings keeps them, as its project meant.
func corpusMessage(data []byte) []byte {
	if bytes.HasPrefix(data, []byte("From ")) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	if !bytes.Contains(data, []byte("\r\n")) {
		data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	}
	return data
}

// errorRules returns the rules of the Errors in ps, each once, in order.
func errorRules(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		if p.Severity == Error && !slices.Contains(out, p.Rule) {
			out = append(out, p.Rule)
		}
	}
	slices.Sort(out)
	return out
}

func TestCorpus(t *testing.T) {
	root := findCorpus()
	if root == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("the corpus %s is not beside the repository (set SMTPTEST_CORPUS)", corpusDir)
		}
		t.Skipf("the corpus %s is not beside the repository; set SMTPTEST_CORPUS to run this test", corpusDir)
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && filepath.Ext(p) != ".md" {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	if len(files) < 299 {
		t.Fatalf("the corpus at %s has %d messages, not 299", root, len(files))
	}
	got := map[string][]string{}
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		got[name] = errorRules(Check(corpusMessage(data))) // and no panic
	}

	want, notes, err := readExpectations(expectationsFile)
	if os.Getenv("SMTPTEST_WRITE_CORPUS") != "" {
		if err := writeExpectations(expectationsFile, files, got, notes); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: no expectation in %s (regenerate it and review the entry)", name, expectationsFile)
			continue
		}
		if !slices.Equal(got[name], w) {
			t.Errorf("%s: Errors %q, expected %q", name, got[name], w)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("%s: in %s but not in the corpus", name, expectationsFile)
		}
	}
}

// readExpectations reads lines "path: rule rule # note"; notes are kept
// by path for a rewrite.
func readExpectations(path string) (map[string][]string, map[string]string, error) {
	want, notes := map[string][]string{}, map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return want, notes, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		entry, note, _ := strings.Cut(line, "#")
		name, rules, ok := strings.Cut(entry, ":")
		if !ok {
			return want, notes, fmt.Errorf("%s:%d: not \"path: rules # note\"", path, n)
		}
		rs := strings.Fields(rules)
		slices.Sort(rs)
		want[strings.TrimSpace(name)] = rs
		if note = strings.TrimSpace(note); note != "" {
			notes[strings.TrimSpace(name)] = note
		}
	}
	return want, notes, sc.Err()
}

func writeExpectations(path string, files []string, got map[string][]string, notes map[string]string) error {
	var b bytes.Buffer
	b.WriteString(expectationsHeader)
	for _, name := range files {
		fmt.Fprintf(&b, "%s: %s", name, strings.Join(got[name], " "))
		if note := notes[name]; note != "" {
			fmt.Fprintf(&b, " # %s", note)
		}
		b.WriteByte('\n')
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

const expectationsHeader = `# The Error rules lint.Check gives each message of the corpus
# ../shared/reference/lintworld-corpus2 (299 messages from seven parser
# projects' test data; its SOURCES.md says where each came from), read as
# TestCorpus reads them: LF made CRLF in files without any CRLF, an mbox
# "From " line dropped. Each verdict was judged against the RFC by hand;
# "# ..." says why where it is not plain from the rule. Warnings are not
# listed. Regenerate with SMTPTEST_WRITE_CORPUS=1 go test -run TestCorpus
# ./lint (notes are kept) and review the diff line by line.
`
