package assert

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-message"
	"github.com/google/go-cmp/cmp"

	"github.com/smtptest/smtptest"
)

// UpdateEnv is the environment variable that makes [Golden] write its
// files instead of comparing: SMTPTEST_UPDATE_GOLDEN=1 go test ./... . An
// -update flag of the test binary's own, if it defines one, does the same;
// the package registers no flag.
const UpdateEnv = "SMTPTEST_UPDATE_GOLDEN"

// Golden compares everything the server received (in c's scope, see [To])
// with the golden file path, in the rendering of [Render], and fails with
// a line diff, the file's path and the command that updates it. A missing
// file fails too, with the same hint; it never passes silently. volatile
// are patterns of the test's own (a token in a link, say) that Render
// normalises like dates and ids.
func Golden(t testing.TB, srv *smtptest.Server, path string, volatile ...*regexp.Regexp) bool {
	t.Helper()
	return Checker{}.Golden(t, srv, path, volatile...)
}

// Golden is [Golden], with c's scope and wait (for one message at least).
func (c Checker) Golden(t testing.TB, srv *smtptest.Server, path string, volatile ...*regexp.Regexp) bool {
	t.Helper()
	msgs := c.messages(srv, 1)
	got := Render(msgs, volatile...)
	hint := fmt.Sprintf("%s=1 go test -run '^%s$' (in the package's directory) writes it", UpdateEnv, strings.SplitN(t.Name(), "/", 2)[0])
	update, err := updating()
	if err != nil {
		t.Errorf("assert.Golden: %v", err)
		return false
	}
	if update {
		if len(msgs) == 0 {
			// An empty file would pass every later run that gets no
			// mail either.
			t.Errorf("assert.Golden: nothing to write to %s: no message received%s (a sender that works in the background needs assert.Within(d).Golden)", path, c.scopeText())
			return false
		}
		if err := writeGolden(path, []byte(got)); err != nil {
			t.Errorf("assert.Golden: %v", err)
			return false
		}
		t.Logf("assert.Golden: wrote %s", path)
		return true
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("assert.Golden: %v\n%s", err, hint)
		return false
	}
	if string(want) == got {
		return true
	}
	diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n"))
	t.Errorf("assert.Golden: %s differs from what was received (-file +received):\n%s\n%s", path, diff, hint)
	return false
}

// updating reports whether golden files are to be written:
// SMTPTEST_UPDATE_GOLDEN is 1, true, yes or on (any case), or the test
// binary's own -update flag is set. Another value of the variable is an
// error, not a guess ("false" must never mean "write").
func updating() (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv(UpdateEnv))); v {
	case "1", "true", "yes", "on":
		return true, nil
	case "", "0", "false", "no", "off":
	default:
		return false, fmt.Errorf("%s=%q: want 1, true, yes or on to write golden files, or 0, false, no, off or nothing to compare", UpdateEnv, v)
	}
	if f := flag.Lookup("update"); f != nil {
		return f.Value.String() == "true", nil
	}
	return false, nil
}

// writeGolden writes a golden file, only as a regular file inside the
// test's directory tree (the package's directory, where go test runs it):
// a path that leads out of it, through ".." or a symbolic link, is
// refused, and the file is replaced (a new file renamed over it), never
// written through a link, so a link planted in testdata cannot make an
// update overwrite a file elsewhere.
func writeGolden(path string, data []byte) error {
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(abs)
	if !within(root, dir) {
		return fmt.Errorf("%s is outside the test's directory %s: golden files are written only inside it", path, root)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if !within(root, real) {
		return fmt.Errorf("%s leads through a symbolic link to %s, outside the test's directory %s: refused", path, real, root)
	}
	if fi, err := os.Lstat(abs); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%v): refused", path, fi.Mode().Type())
	}
	tmp, err := os.CreateTemp(real, ".golden-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(real, filepath.Base(abs)))
}

// within reports whether path is root or inside it (both absolute and
// clean).
func within(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// Render is the canonical, reviewable rendering of messages that [Golden]
// compares: for each, the envelope, every header field in order (values
// decoded), each text part decoded, and each other part as its name, type,
// size and SHA-256. What changes from run to run is normalised, the same
// way throughout: Date values, Message-IDs and the references to them,
// MIME boundaries, Content-IDs and their cid: uses, and the matches of
// volatile; each becomes a numbered placeholder ("[message-id 1]"), so two
// runs of the same sender render alike. A Date is normalised only if it is
// an RFC 5322 date-time; otherwise it is kept and marked, with why. A header value that decodes to
// control characters (an encoded line break, say) is shown quoted, its
// field marked "(escaped)", so that it cannot pass for other fields.
func Render(msgs []*smtptest.Message, volatile ...*regexp.Regexp) string {
	r := &renderer{seen: map[string]string{}, volatile: volatile}
	var b strings.Builder
	for i, m := range msgs {
		fmt.Fprintf(&b, "=== message %d\n", i+1)
		from := m.From
		if from == "" {
			from = "<>"
		}
		fmt.Fprintf(&b, "envelope from: %s\n", from)
		for _, to := range m.To {
			fmt.Fprintf(&b, "envelope to: %s\n", to)
		}
		e, err := m.Entity()
		if e == nil {
			fmt.Fprintf(&b, "unreadable: %v\n", err)
			continue
		}
		e.Walk(func(path []int, part *message.Entity, err error) error {
			r.part(&b, path, part, err)
			return nil
		})
	}
	return r.normalise(b.String())
}

// renderer keeps the placeholders of one rendering.
type renderer struct {
	seen     map[string]string // volatile value -> placeholder
	count    map[string]int    // kind -> how many placeholders
	volatile []*regexp.Regexp
}

// token returns the placeholder of value, of kind.
func (r *renderer) token(kind, value string) string {
	if t, ok := r.seen[kind+"\x00"+value]; ok {
		return t
	}
	if r.count == nil {
		r.count = map[string]int{}
	}
	r.count[kind]++
	t := fmt.Sprintf("[%s %d]", kind, r.count[kind])
	r.seen[kind+"\x00"+value] = t
	return t
}

var (
	msgIDPattern = regexp.MustCompile(`<[^<>\s]+@[^<>\s]+>`)
	cidPattern   = regexp.MustCompile(`(?i)cid:([^"'\s>)]+)`)
)

// part renders one entity: its header fields, then its body.
func (r *renderer) part(b *strings.Builder, path []int, e *message.Entity, err error) {
	name := "header"
	if len(path) > 0 {
		nums := make([]string, len(path))
		for i, n := range path {
			nums[i] = fmt.Sprint(n + 1) // parts from 1, as lint names them
		}
		name = "part " + strings.Join(nums, ".")
	}
	fmt.Fprintf(b, "%s:\n", name)
	fields := e.Header.Fields()
	for fields.Next() {
		key := fields.Key()
		v, ferr := fields.Text()
		if ferr != nil {
			v = fields.Value()
		}
		switch strings.ToLower(key) {
		case "date":
			if why := dateProblem(v); why != "" {
				// Not normalised: a golden file made with a valid date
				// must not match it.
				fmt.Fprintf(b, "  %s (not an RFC 5322 date: %s): %s\n", key, why, v)
				continue
			}
			v = "[date]"
		case "message-id", "in-reply-to", "references", "content-id", "resent-message-id":
			kind := "message-id"
			if strings.EqualFold(key, "content-id") {
				kind = "content-id"
			}
			v = msgIDPattern.ReplaceAllStringFunc(v, func(id string) string { return r.token(kind, strings.Trim(id, "<>")) })
		case "content-type":
			if _, params, perr := e.Header.ContentType(); perr == nil && params["boundary"] != "" {
				v = strings.ReplaceAll(v, params["boundary"], r.token("boundary", params["boundary"]))
			}
		}
		if hasControl(v) {
			// A decoded CR or LF would make the value look like more
			// fields: such a value is shown quoted, and marked.
			fmt.Fprintf(b, "  %s (escaped): %s\n", key, strconv.Quote(v))
			continue
		}
		fmt.Fprintf(b, "  %s: %s\n", key, v)
	}
	if err != nil {
		fmt.Fprintf(b, "  (%v)\n", err)
	}
	if e.MultipartReader() != nil {
		return
	}
	media, params, _ := e.Header.ContentType()
	body, rerr := io.ReadAll(e.Body)
	if rerr != nil {
		fmt.Fprintf(b, "  body unreadable: %v\n", rerr)
		return
	}
	disp, dparams, _ := e.Header.ContentDisposition()
	if strings.HasPrefix(media, "text/") && disp != "attachment" || media == "" {
		text := strings.ReplaceAll(string(body), "\r\n", "\n")
		if media == "text/html" {
			text = cidPattern.ReplaceAllStringFunc(text, func(s string) string {
				return "cid:" + r.token("content-id", s[len("cid:"):])
			})
		}
		fmt.Fprintf(b, "  body (%s):\n", media)
		for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			fmt.Fprintf(b, "    | %s\n", line)
		}
		return
	}
	filename := dparams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	fmt.Fprintf(b, "  attachment %q (%s), %d bytes, sha256 %x\n", filename, media, len(body), sha256.Sum256(body))
}

// obsZones are the zone names RFC 5322 4.3 lets a reader accept.
var obsZones = map[string]bool{"UT": true, "GMT": true, "EST": true, "EDT": true, "CST": true, "CDT": true, "MST": true, "MDT": true, "PST": true, "PDT": true}

// dateProblem says why v is not an RFC 5322 date-time (3.3, with the
// obsolete zones of 4.3), or returns "": it must parse, its zone must be
// +hhmm/-hhmm or one of obsZones (not "UTC": what Go's time.RFC1123
// writes), its hour two digits, and its day of the week, if given, the
// date's own.
func dateProblem(v string) string {
	t, err := mail.ParseDate(v)
	if err != nil {
		return "it does not parse"
	}
	s := strings.TrimSpace(v)
	if i := strings.IndexByte(s, '('); i > 0 { // a trailing comment
		s = strings.TrimSpace(s[:i])
	}
	fields := strings.Fields(s)
	zone := fields[len(fields)-1]
	numeric := len(zone) == 5 && (zone[0] == '+' || zone[0] == '-') && strings.Trim(zone[1:], "0123456789") == ""
	military := len(zone) == 1 && zone[0] >= 'A' && zone[0] <= 'Z' && zone[0] != 'J'
	if !numeric && !obsZones[strings.ToUpper(zone)] && !military {
		return fmt.Sprintf("zone %q", zone)
	}
	for _, f := range fields {
		if strings.Count(f, ":") >= 1 && strings.IndexByte(f, ':') != 2 {
			return fmt.Sprintf("time %q", f)
		}
	}
	if day, _, ok := strings.Cut(s, ","); ok {
		if want := t.Weekday().String()[:3]; !strings.EqualFold(strings.TrimSpace(day), want) {
			return fmt.Sprintf("%s is a %s", strings.TrimSpace(s[len(day)+1:]), t.Weekday())
		}
	}
	return ""
}

// hasControl reports whether s has a control character other than tab.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return true
		}
	}
	return false
}

// normalise replaces the matches of the test's volatile patterns.
func (r *renderer) normalise(s string) string {
	for _, re := range r.volatile {
		s = re.ReplaceAllStringFunc(s, func(v string) string { return r.token("volatile", v) })
	}
	return s
}
