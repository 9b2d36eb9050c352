package smtptest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode every common charset, not only UTF-8 and US-ASCII
	"github.com/emersion/go-message/mail"
)

// ErrNoPart is returned (wrapped) by [Message.TextBody] and
// [Message.HTMLBody] when the message has no such body.
var ErrNoPart = errors.New("smtptest: no such MIME part")

// maxMIMEDepth bounds how deeply the accessors follow nested multiparts: a
// hostile message could otherwise make them hold one reader per level.
const maxMIMEDepth = 64

// Attachment is one attachment of a message, as [Message.Attachments]
// returns it.
type Attachment struct {
	Filename    string // from Content-Disposition's filename or Content-Type's name, decoded; "" if none
	ContentType string // the media type, lower case, e.g. "application/pdf"
	Disposition string // "attachment", "inline", or "" if the part has no Content-Disposition
	ContentID   string // the Content-ID without angle brackets, for inline parts; "" if none
	// Part numbers the part in the MIME tree as IMAP does (RFC 3501
	// 6.4.5): "1" for the body of a message that is not multipart, "2"
	// for the second part of the top multipart, "1.2" for the second part
	// of the first, ...
	Part string
	Size int    // len(Data): the decoded size
	Data []byte // the content, transfer encoding decoded
}

// Entity parses m.Data with go-message and returns the message as an
// entity whose body decodes transfer encodings and charsets on the fly.
// Each call parses anew; the entity can be read once.
//
// If the message uses an unknown transfer encoding or charset, Entity
// returns the entity (with the body undecoded) and an error for which
// [message.IsUnknownEncoding] or [message.IsUnknownCharset] is true. If the
// header cannot be parsed at all, the entity is nil.
func (m *Message) Entity() (*message.Entity, error) {
	e, err := message.Read(bytes.NewReader(m.Data))
	if e == nil {
		return nil, fmt.Errorf("smtptest: cannot parse message: %w", err)
	}
	return e, err
}

// Header returns the message's top-level header. Header field names are
// case-insensitive: h.Get("x-mailer") finds "X-Mailer". A message is
// parsed once; each call returns a copy, the caller's to change.
func (m *Message) Header() (mail.Header, error) {
	h, err := m.parsedHeader()
	return mail.Header{Header: h.Copy()}, err
}

// Subject returns the Subject header field, RFC 2047 encoded words decoded
// to UTF-8; "" if there is none. If an encoded word cannot be decoded, it
// returns the raw field and the error. A message the server recorded
// (and each copy of it) is parsed for it once.
func (m *Message) Subject() (string, error) {
	return m.parsedSubject()
}

// TextBody returns the message's plain-text body, decoded to UTF-8 from its
// transfer encoding and charset: the first text/plain part that is not an
// attachment (a message without Content-Type is text/plain). If there is
// none, the error wraps [ErrNoPart]. If the part's charset or transfer
// encoding is unknown, it returns the undecoded text and an error.
func (m *Message) TextBody() (string, error) {
	return m.body("text/plain")
}

// HTMLBody returns the message's HTML body, decoded like
// [Message.TextBody]: the first text/html part that is not an attachment.
// If there is none, the error wraps [ErrNoPart].
func (m *Message) HTMLBody() (string, error) {
	return m.body("text/html")
}

func (m *Message) body(mediaType string) (string, error) {
	t := m.parsedTree()
	for _, l := range t.leaves {
		if l.attachment || l.mediaType != mediaType {
			continue
		}
		text := string(l.data)
		if l.readErr != nil {
			return text, fmt.Errorf("smtptest: decode %s part: %w", mediaType, l.readErr)
		}
		if l.err != nil {
			return text, fmt.Errorf("smtptest: %s part: %w", mediaType, l.err)
		}
		return text, nil
	}
	if t.err != nil {
		return "", t.err
	}
	return "", fmt.Errorf("%w: the message has no %s body", ErrNoPart, mediaType)
}

// Attachments returns the message's attachments in order: every part that
// is not multipart and is either marked "attachment", has a file name, or
// is neither text/plain nor text/html (an inline image, say). Data is
// decoded from its transfer encoding; text attachments keep their charset.
// A message without attachments returns none and no error. Each call
// returns its own copies of the data.
func (m *Message) Attachments() ([]Attachment, error) {
	var atts []Attachment
	t := m.parsedTree()
	for _, l := range t.leaves {
		if !l.attachment {
			continue
		}
		if l.readErr != nil {
			return atts, fmt.Errorf("smtptest: decode attachment %q: %w", l.filename, l.readErr)
		}
		if l.err != nil && !message.IsUnknownCharset(l.err) {
			return atts, fmt.Errorf("smtptest: attachment %q: %w", l.filename, l.err)
		}
		atts = append(atts, Attachment{
			Filename:    l.filename,
			ContentType: l.mediaType,
			Disposition: l.disposition,
			ContentID:   l.contentID,
			Part:        l.path,
			Size:        len(l.data),
			Data:        slices.Clone(l.data),
		})
	}
	return atts, t.err
}

// part is a leaf of the MIME tree as the accessors classify it.
type part struct {
	path        string // as Attachment.Part
	entity      *message.Entity
	err         error // an unknown charset or transfer encoding of this part
	mediaType   string
	disposition string
	filename    string
	attachment  bool
}

// walk calls f for each part of data that is not multipart, depth first,
// in order, until f returns true or an error.
func walk(data []byte, f func(part) (stop bool, err error)) error {
	e, err := message.Read(bytes.NewReader(data))
	if e == nil {
		return fmt.Errorf("smtptest: cannot parse message: %w", err)
	}
	// The multiparts being read, outermost first, with the part number of
	// each ("" for the message itself) and how many parts it gave so far.
	type level struct {
		mr    message.MultipartReader
		path  string
		parts int
	}
	var stack []level
	cur, curErr, path := e, err, "1"
	for {
		if cur == nil {
			if len(stack) == 0 {
				return nil
			}
			top := &stack[len(stack)-1]
			next, err := top.mr.NextPart()
			if err == io.EOF {
				stack = stack[:len(stack)-1]
				continue
			}
			if next == nil {
				return fmt.Errorf("smtptest: malformed multipart: %w", err)
			}
			top.parts++
			cur, curErr, path = next, err, strconv.Itoa(top.parts)
			if top.path != "" {
				path = top.path + "." + path
			}
		}
		if mr := cur.MultipartReader(); mr != nil {
			if len(stack) == maxMIMEDepth {
				return fmt.Errorf("smtptest: multipart nested deeper than %d levels", maxMIMEDepth)
			}
			if cur == e {
				path = "" // the message's own parts are 1, 2, ...
			}
			stack = append(stack, level{mr: mr, path: path})
			cur = nil
			continue
		}
		p := classify(cur, curErr)
		p.path = path
		if stop, err := f(p); stop || err != nil {
			return err
		}
		cur = nil
	}
}

// classify reads the headers that decide whether a part is a body or an
// attachment. A missing or malformed Content-Type counts as text/plain
// (RFC 2045 5.2).
func classify(e *message.Entity, err error) part {
	p := part{entity: e, err: err}
	mediaType, params, _ := e.Header.ContentType()
	if mediaType == "" {
		mediaType = "text/plain"
	}
	p.mediaType = strings.ToLower(mediaType)
	disp, dparams, _ := e.Header.ContentDisposition()
	p.disposition = strings.ToLower(disp)
	p.filename = dparams["filename"]
	if p.filename == "" {
		p.filename = params["name"]
	}
	if strings.HasPrefix(p.filename, "=?") {
		// Many mailers put RFC 2047 encoded words in parameters, though
		// only RFC 2231 encoding is standard there.
		dec := mime.WordDecoder{CharsetReader: message.CharsetReader}
		if s, err := dec.DecodeHeader(p.filename); err == nil {
			p.filename = s
		}
	}
	p.attachment = p.disposition == "attachment" || p.filename != "" ||
		(p.mediaType != "text/plain" && p.mediaType != "text/html")
	return p
}
