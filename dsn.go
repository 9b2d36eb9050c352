package smtptest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"
)

// DeliveryStatus is what a delivery status notification says of its
// recipients: what became of the message ([DSNAction]) and the reply of
// the server that decided it.
type DeliveryStatus struct {
	// Action is what became of the message; the zero value is
	// ActionFailed, a bounce.
	Action DSNAction
	// Reply is the reply of the server the message went to next, as the
	// DSN's Status and Diagnostic-Code fields give it. nil is 550 5.1.1
	// "User unknown" for ActionFailed, 451 4.4.1 "Connection timed out"
	// for ActionDelayed and 250 2.0.0 "Delivered" for the others. Its
	// code must agree with Action: 5xx for failed, 4xx for delayed, 2xx
	// for the rest.
	Reply *smtp.SMTPError
	// RemoteMTA is that server's name (the Remote-MTA field); "" leaves
	// the field out.
	RemoteMTA string
}

// DSNAction is the Action field of a DSN (RFC 3464 2.3.3).
type DSNAction int

// The actions a DSN reports.
const (
	ActionFailed    DSNAction = iota // the message could not be delivered: a bounce
	ActionDelayed                    // not delivered yet; the server keeps trying
	ActionDelivered                  // delivered to the recipient's mailbox
	ActionRelayed                    // passed on to a server that sends no DSNs
	ActionExpanded                   // delivered to an alias or list, which sent it on
)

// String returns the field's value: "failed", "delayed", ...
func (a DSNAction) String() string {
	switch a {
	case ActionFailed:
		return "failed"
	case ActionDelayed:
		return "delayed"
	case ActionDelivered:
		return "delivered"
	case ActionRelayed:
		return "relayed"
	case ActionExpanded:
		return "expanded"
	}
	return fmt.Sprintf("DSNAction(%d)", int(a))
}

// notify is the NOTIFY keyword that asks for a DSN of this action.
func (a DSNAction) notify() smtp.DSNNotify {
	switch a {
	case ActionFailed:
		return smtp.DSNNotifyFailure
	case ActionDelayed:
		return smtp.DSNNotifyDelayed
	}
	return smtp.DSNNotifySuccess
}

// The default replies of DeliveryStatus.
var (
	replyUserUnknown = smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "User unknown"}
	replyTimedOut    = smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 1}, Message: "Connection timed out"}
	replyDelivered   = smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "Delivered"}
)

// reply is st.Reply or the action's default, checked against the action.
func (st DeliveryStatus) reply() (smtp.SMTPError, error) {
	var r smtp.SMTPError
	class := 2
	switch st.Action {
	case ActionFailed:
		r, class = replyUserUnknown, 5
	case ActionDelayed:
		r, class = replyTimedOut, 4
	case ActionDelivered, ActionRelayed, ActionExpanded:
		r = replyDelivered
	default:
		return r, fmt.Errorf("unknown Action %d", int(st.Action))
	}
	if st.Reply == nil {
		return r, nil
	}
	r = *st.Reply
	if r.Code/100 != class {
		return r, fmt.Errorf("a %s DSN needs a %dxx reply, not %d", st.Action, class, r.Code)
	}
	if r.EnhancedCode == (smtp.EnhancedCode{}) || r.EnhancedCode == smtp.EnhancedCodeNotSet {
		r.EnhancedCode = smtp.EnhancedCode{class, 0, 0}
	}
	if r.EnhancedCode[0] != class {
		return r, fmt.Errorf("enhanced code %d.%d.%d does not go with reply %d", r.EnhancedCode[0], r.EnhancedCode[1], r.EnhancedCode[2], r.Code)
	}
	return r, nil
}

// Bounce makes the delivery status notification (RFC 3464) a receiver
// sends for a message it accepted when it later fails to deliver it to
// rcpts (or delays it, or delivers it and was asked to say so: st.Action).
// No rcpts means every recipient of m. The notice honours the
// transaction: it goes to m's return path with the null sender; a
// recipient whose NOTIFY did not ask for this action is left out (no
// NOTIFY asks for failed and delayed, as RFC 3461 4.1 allows, not for
// success); ORCPT becomes Original-Recipient, ENVID
// Original-Envelope-Id; a failed DSN returns the whole message, or its
// header with RET=HDRS, and the others return its header.
//
// The DSN is a multipart/report of a text/plain explanation, a
// message/delivery-status part (Reporting-MTA is the server's
// [Domain]) and the message returned; its header says
// Auto-Submitted: auto-replied (RFC 3834 5), as Postfix's DSNs do.
//
// The error wraps [ErrNoNotice] when a receiver would send nothing: m
// has the null sender, or no recipient's NOTIFY asked for it. Any other
// error is a mistake of the call: a recipient m does not have, a Reply
// that does not go with the Action.
func (s *Server) Bounce(m *Message, st DeliveryStatus, rcpts ...string) (*Notice, error) {
	n, err := s.bounce(time.Now(), m, st, rcpts)
	if err != nil {
		return nil, fmt.Errorf("smtptest: Bounce: %w", err)
	}
	return n, nil
}

func (s *Server) bounce(now time.Time, m *Message, st DeliveryStatus, rcpts []string) (*Notice, error) {
	reply, err := st.reply()
	if err != nil {
		return nil, err
	}
	idx := make([]int, 0, len(rcpts))
	for _, r := range rcpts {
		i, err := checkAbout(m, r)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(idx, i) {
			idx = append(idx, i)
		}
	}
	if m == nil {
		return nil, errors.New("nil Message")
	}
	if len(rcpts) == 0 {
		for i := range m.To {
			idx = append(idx, i)
		}
	}
	if m.From == "" {
		return nil, fmt.Errorf("message %d has the null sender <>: %w", m.ID, ErrNoNotice)
	}
	want := st.Action.notify()
	var kept, left []int
	for _, i := range idx {
		if wantsDSN(m, i, want) {
			kept = append(kept, i)
		} else {
			left = append(left, i)
		}
	}
	if len(kept) == 0 {
		var why []string
		for _, i := range left {
			why = append(why, fmt.Sprintf("<%s> NOTIFY=%s", m.To[i], notifyString(m, i)))
		}
		return nil, fmt.Errorf("no recipient asked for a %s DSN (%s): %w", st.Action, strings.Join(why, ", "), ErrNoNotice)
	}

	subject := "Successful Mail Delivery Report"
	var text strings.Builder
	switch st.Action {
	case ActionFailed:
		subject = "Undelivered Mail Returned to Sender"
		fmt.Fprintf(&text, "This is the mail system at %s.\n\nYour message could not be delivered to the recipients below.\nIt is attached to this report.\n\n", s.cfg.domain)
	case ActionDelayed:
		subject = "Delayed Mail (still being retried)"
		fmt.Fprintf(&text, "This is the mail system at %s.\n\nYour message has not been delivered yet to the recipients below.\nThe mail system keeps trying; you need not send it again.\n\n", s.cfg.domain)
	default:
		fmt.Fprintf(&text, "This is the mail system at %s.\n\nYour message was %s for the recipients below, as you asked to be told.\n\n", s.cfg.domain, st.Action)
	}
	diag := fmt.Sprintf("%d %d.%d.%d %s", reply.Code, reply.EnhancedCode[0], reply.EnhancedCode[1], reply.EnhancedCode[2], reply.Message)
	for _, i := range kept {
		fmt.Fprintf(&text, "<%s>: %s\n", m.To[i], diag)
	}

	perMessage := [][2]string{{"Reporting-MTA", "dns; " + s.cfg.domain}}
	if id := m.MailOptions.EnvelopeID; id != "" {
		perMessage = append(perMessage, [2]string{"Original-Envelope-Id", dsnText(id)})
	}
	perMessage = append(perMessage, [2]string{"Arrival-Date", m.Received.Format(time.RFC1123Z)})
	groups := [][][2]string{perMessage}
	for _, i := range kept {
		var g [][2]string
		if o := rcptOptions(m, i); o.OriginalRecipient != "" {
			typ := strings.ToLower(string(o.OriginalRecipientType))
			if typ == "" {
				typ = "rfc822"
			}
			g = append(g, [2]string{"Original-Recipient", typ + "; " + dsnText(o.OriginalRecipient)})
		}
		g = append(g,
			[2]string{"Final-Recipient", "rfc822; " + dsnText(m.To[i])},
			[2]string{"Action", st.Action.String()},
			[2]string{"Status", fmt.Sprintf("%d.%d.%d", reply.EnhancedCode[0], reply.EnhancedCode[1], reply.EnhancedCode[2])})
		if st.RemoteMTA != "" {
			g = append(g, [2]string{"Remote-MTA", "dns; " + st.RemoteMTA})
		}
		g = append(g, [2]string{"Diagnostic-Code", "smtp; " + diag})
		if st.Action == ActionFailed || st.Action == ActionDelayed {
			g = append(g, [2]string{"Last-Attempt-Date", now.Format(time.RFC1123Z)})
		}
		groups = append(groups, g)
	}

	h, err := s.noticeHeader(now, &mail.Address{Name: "Mail Delivery System", Address: "MAILER-DAEMON@" + s.cfg.domain}, m.From, subject, "auto-replied")
	if err != nil {
		return nil, err
	}
	returned, eight := returnedPart(m, st.Action != ActionFailed || m.MailOptions.Return == smtp.DSNReturnHeaders)
	data, err := writeReport(h, "delivery-status", []reportPart{
		textPart(text.String()),
		fieldsPart("message/delivery-status", groups...),
		returned,
	})
	if err != nil {
		return nil, err
	}
	return &Notice{Kind: KindDSN, From: "", To: m.From, Data: data, Body8Bit: eight, About: m.ID, host: s.cfg.domain}, nil
}

// rcptOptions are the RCPT parameters of m's recipient i.
func rcptOptions(m *Message, i int) smtp.RcptOptions {
	if i < len(m.RcptOptions) {
		return m.RcptOptions[i]
	}
	return smtp.RcptOptions{}
}

// wantsDSN reports whether recipient i of m asked for a DSN of this kind
// (RFC 3461 4.1): with no NOTIFY, for failures and delays.
func wantsDSN(m *Message, i int, want smtp.DSNNotify) bool {
	notify := rcptOptions(m, i).Notify
	if len(notify) == 0 {
		return want == smtp.DSNNotifyFailure || want == smtp.DSNNotifyDelayed
	}
	return slices.Contains(notify, want)
}

// notifyString is recipient i's NOTIFY as given, or "(none)".
func notifyString(m *Message, i int) string {
	notify := rcptOptions(m, i).Notify
	if len(notify) == 0 {
		return "(none)"
	}
	s := make([]string, len(notify))
	for j, n := range notify {
		s[j] = string(n)
	}
	return strings.Join(s, ",")
}

// dsnText is s as a DSN field shows an address or an envelope id: as
// given (go-smtp decoded ORCPT's and ENVID's xtext), as Postfix shows
// them, with the bytes a header cannot carry as they are (controls,
// white space, bytes above 127) in xtext's "+XX" form (RFC 3461 4).
func dsnText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' {
			fmt.Fprintf(&b, "+%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
