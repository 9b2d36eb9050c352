package lint

import (
	"slices"
	"strings"
	"testing"

	"github.com/smtptest/smtptest/internal/growth"
)

// crlf turns the "\n" of a message written in a test into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// with returns the good message with the header fields of extra (lines
// ending in "\n") added, replacing good's fields of the same names.
func with(extra string) string {
	lines := strings.Split(strings.TrimSuffix(crlf(extra), "\r\n"), "\r\n")
	names := map[string]bool{}
	for _, l := range lines {
		if name, _, ok := strings.Cut(l, ":"); ok && l[0] != ' ' && l[0] != '\t' {
			names[strings.ToLower(strings.TrimSpace(name))] = true
		}
	}
	h, body, _ := strings.Cut(good, "\r\n\r\n")
	var out []string
	for _, l := range strings.Split(h, "\r\n") {
		name, _, _ := strings.Cut(l, ":")
		if !names[strings.ToLower(name)] {
			out = append(out, l)
		}
	}
	return strings.Join(append(out, lines...), "\r\n") + "\r\n\r\n" + body
}

// rfcExamples are the example messages and fields of the RFCs lint
// follows, as those RFCs print them (facts of the RFCs, written as test
// data): none may get an Error. want lists every rule they get (Warnings,
// such as the obsolete syntax of RFC 5322 Appendix A.6, which readers
// must accept and writers must not produce).
var rfcExamples = []struct {
	name string
	data string
	want []string
}{
	// RFC 5322 Appendix A.1.1: a message from one person to another.
	{"RFC 5322 A.1.1", crlf("From: John Doe <jdoe@machine.example>\nTo: Mary Smith <mary@example.net>\nSubject: Saying Hello\nDate: Fri, 21 Nov 1997 09:55:06 -0600\nMessage-ID: <1234@local.machine.example>\n\nThis is a message just to say hello.\nSo, \"Hello\".\n"), nil},
	{"RFC 5322 A.1.1 with Sender", crlf("From: John Doe <jdoe@machine.example>\nSender: Michael Jones <mjones@machine.example>\nTo: Mary Smith <mary@example.net>\nSubject: Saying Hello\nDate: Fri, 21 Nov 1997 09:55:06 -0600\nMessage-ID: <1234@local.machine.example>\n\nThis is a message just to say hello.\nSo, \"Hello\".\n"), nil},
	// A.1.2: different types of mailboxes.
	{"RFC 5322 A.1.2", crlf("From: \"Joe Q. Public\" <john.q.public@example.com>\nTo: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>\nCc: <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>\nDate: Tue, 1 Jul 2003 10:52:37 +0200\nMessage-ID: <5678.21-Nov-1997@example.com>\n\nHi everyone.\n"), nil},
	// A.1.3: group addresses.
	{"RFC 5322 A.1.3", crlf("From: Pete <pete@silly.example>\nTo: A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;\nCc: Undisclosed recipients:;\nDate: Thu, 13 Feb 1969 23:32:54 -0330\nMessage-ID: <testabcd.1234@silly.example>\n\nTesting.\n"), nil},
	// A.2: reply messages.
	{"RFC 5322 A.2 reply", crlf("From: Mary Smith <mary@example.net>\nTo: John Doe <jdoe@machine.example>\nReply-To: \"Mary Smith: Personal Account\" <smith@home.example>\nSubject: Re: Saying Hello\nDate: Fri, 21 Nov 1997 10:01:10 -0600\nMessage-ID: <3456@example.net>\nIn-Reply-To: <1234@local.machine.example>\nReferences: <1234@local.machine.example>\n\nThis is a reply to your hello.\n"), nil},
	{"RFC 5322 A.2 reply to the reply", crlf("To: \"Mary Smith: Personal Account\" <smith@home.example>\nFrom: John Doe <jdoe@machine.example>\nSubject: Re: Saying Hello\nDate: Fri, 21 Nov 1997 11:00:00 -0600\nMessage-ID: <abcd.1234@local.machine.test>\nIn-Reply-To: <3456@example.net>\nReferences: <1234@local.machine.example> <3456@example.net>\n\nThis is a reply to your reply.\n"), nil},
	// A.3: resent messages.
	{"RFC 5322 A.3", crlf("Resent-From: Mary Smith <mary@example.net>\nResent-To: Jane Brown <j-brown@other.example>\nResent-Date: Mon, 24 Nov 1997 14:22:01 -0800\nResent-Message-ID: <78910@example.net>\nFrom: John Doe <jdoe@machine.example>\nTo: Mary Smith <mary@example.net>\nSubject: Saying Hello\nDate: Fri, 21 Nov 1997 09:55:06 -0600\nMessage-ID: <1234@local.machine.example>\n\nThis is a message just to say hello.\nSo, \"Hello\".\n"), nil},
	// A.4: messages with trace fields.
	{"RFC 5322 A.4", crlf("Received: from x.y.test\n   by example.net\n   via TCP\n   with ESMTP\n   id ABC12345\n   for <mary@example.net>;  21 Nov 1997 10:05:43 -0600\nReceived: from node.example by x.y.test; 21 Nov 1997 10:01:22 -0600\nFrom: John Doe <jdoe@node.example>\nTo: Mary Smith <mary@example.net>\nSubject: Saying Hello\nDate: Fri, 21 Nov 1997 09:55:06 -0600\nMessage-ID: <1234@local.node.example>\n\nThis is a message just to say hello.\nSo, \"Hello\".\n"), nil},
	// A.5: white space, comments, and other oddities ("perfectly legal").
	{"RFC 5322 A.5", crlf("From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>\nTo:A Group(Some people)\n     :Chris Jones <c@(Chris's host.)public.example>,\n         joe@example.org,\n  John <jdoe@one.test> (my dear friend); (the end of the group)\nCc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;\nDate: Thu,\n      13\n        Feb\n          1969\n      23:32\n               -0330 (Newfoundland Time)\nMessage-ID:              <testabcd.1234@silly.test>\n\nTesting.\n"),
		// Comments around a dot-atom are CFWS of today's grammar (3.4.1),
		// not obsolete: "perfectly legal".
		nil},
	// A.6.1: obsolete addressing.
	{"RFC 5322 A.6.1", crlf("From: Joe Q. Public <john.q.public@example.com>\nTo: Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example\nDate: Tue, 1 Jul 2003 10:52:37 +0200\nMessage-ID: <5678.21-Nov-1997@example.com>\n\nHi everyone.\n"), []string{"header/obsolete", "header/obsolete"}},
	// A.6.2: obsolete dates.
	{"RFC 5322 A.6.2", crlf("From: John Doe <jdoe@machine.example>\nTo: Mary Smith <mary@example.net>\nSubject: Saying Hello\nDate: 21 Nov 97 09:55:06 GMT\nMessage-ID: <1234@local.machine.example>\n\nThis is a message just to say hello.\nSo, \"Hello\".\n"), []string{"header/obsolete"}},
	// A.6.3: obsolete white space and comments (the second line of To is
	// two spaces: folding, RFC 5322 4.2).
	{"RFC 5322 A.6.3", crlf("From  : John Doe <jdoe@machine(comment).  example>\nTo    : Mary Smith\n  \n          <mary@example.net>\nSubject     : Saying Hello\nDate  : Fri, 21 Nov 1997 09(comment):   55  :  06 -0600\nMessage-ID  : <1234   @   local(blah)  .machine .example>\n\nThis is a message just to say hello.\nSo, \"Hello\".\n"),
		// Five field names with space before the colon, the white-space
		// line, and the comments in From, Date and Message-ID.
		slices.Repeat([]string{"header/obsolete"}, 9)},

	// RFC 2045: MIME-Version with a comment (4), Content-Type with a
	// comment and quoted or not (5.1), a private encoding (6.3) and a
	// comment after an encoding, quoted-printable with soft breaks (6.7).
	{"RFC 2045 4 MIME-Version comment", with("MIME-Version: 1.0 (produced by MetaSend Vx.x)\n"), nil},
	{"RFC 2045 5.1 comment", with("Content-type: text/plain; charset=us-ascii (Plain text)\n"), nil},
	{"RFC 2045 5.1 quoted", with("Content-type: text/plain; charset=\"us-ascii\"\n"), nil},
	{"RFC 2045 6.1 comment after the mechanism", with("Content-Transfer-Encoding: 7bit (plain)\n"), nil},
	{"RFC 2045 6.3 private encoding", with("Content-Transfer-Encoding: x-my-new-encoding\n"), []string{"mime/encoding-private"}},
	{"RFC 2045 6.7 quoted-printable", strings.Replace(with("Content-Transfer-Encoding: quoted-printable\n"), "Hello, Ann.\r\n", "Now's the time =\r\nfor all folk to come=\r\n to the aid of their country.\r\n", 1), nil},

	// RFC 2046 5.1.1: multipart/mixed with a preamble, an implicitly typed
	// part and an epilogue.
	{"RFC 2046 5.1.1", crlf("From: Nathaniel Borenstein <nsb@bellcore.com>\nTo: Ned Freed <ned@innosoft.com>\nDate: Sun, 21 Mar 1993 23:56:48 -0800 (PST)\nSubject: Sample message\nMIME-Version: 1.0\nContent-type: multipart/mixed; boundary=\"simple boundary\"\n\nThis is the preamble.  It is to be ignored, though it\nis a handy place for composition agents to include an\nexplanatory note to non-MIME conformant readers.\n\n--simple boundary\n\nThis is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak.\n--simple boundary\nContent-type: text/plain; charset=us-ascii\n\nThis is explicitly typed plain US-ASCII text.\nIt DOES end with a linebreak.\n\n--simple boundary--\n\nThis is the epilogue.  It is also to be ignored.\n"), []string{"header/message-id-missing"}},
	// 5.1.4: multipart/alternative.
	{"RFC 2046 5.1.4", crlf("From: Nathaniel Borenstein <nsb@bellcore.com>\nTo: Ned Freed <ned@innosoft.com>\nDate: Mon, 22 Mar 1993 09:41:09 -0800 (PST)\nSubject: Formatted text mail\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=boundary42\n\n--boundary42\nContent-Type: text/plain; charset=us-ascii\n\n  ... plain text version of message goes here ...\n\n--boundary42\nContent-Type: text/enriched\n\n  ... RFC 1896 text/enriched version of same message\n     goes here ...\n\n--boundary42\nContent-Type: application/x-whatever\n\n  ... fanciest version of same message goes here ...\n\n--boundary42--\n"), []string{"header/message-id-missing"}},
	// 5.2.2 and 5.2.3.7: message/partial and message/external-body.
	{"RFC 2046 5.2.2 partial", strings.Replace(with("Content-Type: Message/Partial; number=2; total=3;\n              id=\"oc=jpbe0M2Yt4s@example.com\"\n"), "Hello, Ann.\r\n", "Message-ID: <id1@host.com>\r\n\r\nthe second part\r\n", 1), nil},
	{"RFC 2046 5.2.3.7 external-body", strings.Replace(with("Content-Type: message/external-body; access-type=local-file;\n     name=\"/u/nsb/Me.jpeg\"\n"), "Hello, Ann.\r\n", "Content-type: image/jpeg\r\nContent-ID: <id42@guppylake.bellcore.com>\r\nContent-Transfer-Encoding: binary\r\n\r\nTHIS IS NOT REALLY THE BODY!\r\n", 1), nil},

	// RFC 2047 8: the example fields.
	{"RFC 2047 8 first", with("From: =?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>\nTo: =?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>\nCC: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>\nSubject: =?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\n    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=\n"), nil},
	{"RFC 2047 8 second", with("From: =?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>\nTo: ietf-822@dimacs.rutgers.edu, ojarnef@admin.kth.se\nSubject: Time for ISO 10646?\n"), nil},
	{"RFC 2047 8 third", with("To: Dave Crocker <dcrocker@mordor.stanford.edu>\nCc: ietf-822@dimacs.rutgers.edu, paf@comsol.se\nFrom: =?ISO-8859-1?Q?Patrik_F=E4ltstr=F6m?= <paf@nada.kth.se>\nSubject: Re: RFC-HDR care and feeding\n"), nil},
	{"RFC 2047 8 fourth", with("From: Nathaniel Borenstein <nsb@thumper.bellcore.com>\n      (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)\nTo: Greg Vaudreuil <gvaudre@NRI.Reston.VA.US>, Ned Freed\n   <ned@innosoft.com>, Keith Moore <moore@cs.utk.edu>\nSubject: Test of new header generator\nContent-type: text/plain; charset=ISO-8859-1\n"), nil},
	{"RFC 2047 8 comments", with("From: a@example.com (=?ISO-8859-1?Q?a?=), b@example.com (=?ISO-8859-1?Q?a?= b),\n c@example.com (=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=), d@example.com (=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=),\n e@example.com (=?ISO-8859-1?Q?a?=\n    =?ISO-8859-1?Q?b?=), f@example.com (=?ISO-8859-1?Q?a_b?=), g@example.com (=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)\nSender: a@example.com\n"), []string{"line/long"}},

	// RFC 2183 2: Content-Disposition, with RFC 2183's own trailing ';'.
	{"RFC 2183 2 inline", with("Content-Disposition: inline\n"), nil},
	{"RFC 2183 2 attachment", with("Content-Type: image/jpeg\nContent-Disposition: attachment; filename=genome.jpeg;\n  modification-date=\"Wed, 12 Feb 1997 16:29:51 -0500\";\nContent-Description: a complete map of the human genome\nContent-Transfer-Encoding: 7bit\n"), nil},

	// RFC 2231 3, 4, 4.1 and 5 (the third example as corrected by
	// erratum 590: the RFC's text lacks the ';' between parameters).
	{"RFC 2231 3", with("Content-Type: message/external-body; access-type=URL;\n URL*0=\"ftp://\";\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"\n"), nil},
	{"RFC 2231 4", with("Content-Type: application/x-stuff;\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A\n"), nil},
	{"RFC 2231 4.1", with("Content-Type: application/x-stuff;\n title*0*=us-ascii'en'This%20is%20even%20more%20;\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\n title*2=\"isn't it!\"\n"), nil},
	{"RFC 2231 5", with("From: =?US-ASCII*EN?Q?Keith_Moore?= <moore@cs.utk.edu>\n"), nil},

	// RFC 2369 3: the List- fields, comments and all.
	{"RFC 2369 3.1 List-Help", with("List-Help: <mailto:list@host.com?subject=help> (List Instructions)\nList-Owner: <mailto:listmom@host.com> (Contact Person for Help)\nList-Archive: <mailto:archive@host.com?subject=index%20list>\n"), nil},
	{"RFC 2369 3.1 List-Help alternatives", with("List-Help: <ftp://ftp.host.com/list.txt> (FTP),\n    <mailto:list@host.com?subject=help>\nList-Subscribe: <mailto:list@host.com?subject=subscribe>\nList-Post: NO (posting not allowed on this list)\n"), nil},
	{"RFC 2369 3.2 comment first", with("List-Unsubscribe: (Use this command to get off the list)\n     <mailto:list-manager@host.com?body=unsubscribe%20list>\n"), nil},
	{"RFC 2369 3.2 two URIs", with("List-Unsubscribe: <http://www.host.com/list.cgi?cmd=unsub&lst=list>,\n    <mailto:list-request@host.com?subject=unsubscribe>\n"), nil},
	{"RFC 2369 3.4 List-Post", with("List-Post: <mailto:moderator@host.com> (Postings are Moderated)\n"), nil},

	// RFC 8058 3.1 and 8.
	{"RFC 8058 3.1", with("List-Unsubscribe: <mailto:listrequest@example.com?subject=unsubscribe>,\n    <https://example.com/unsubscribe.html?opaque=123456789>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n"), nil},
	{"RFC 8058 8.1", with("List-Unsubscribe: <https://example.com/unsubscribe/opaque123456789>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n"), nil},
}

func TestRFCExamples(t *testing.T) {
	for _, tc := range rfcExamples {
		t.Run(tc.name, func(t *testing.T) {
			ps := Check([]byte(tc.data))
			for _, p := range ps {
				if p.Severity == Error {
					t.Errorf("an RFC's own example gets an Error: %v", p)
				}
			}
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if got := rules(ps); !slices.Equal(got, want) {
				t.Errorf("rules %q, want %q\n%v", got, want, ps)
			}
		})
	}
}

// allowed are constructs the RFCs allow that lint once called Errors.
var allowed = []struct {
	name string
	data string
	opts []Option
	want []string
}{
	{"comment after Message-ID", with("Message-ID: <1234@example.com> (the first)\n"), nil, nil},
	{"comment before Message-ID", with("Message-ID: (the first)\n <1234@example.com>\n"), nil, nil},
	{"UTF-7 display name", with("From: =?UTF-7?Q?Ann?= <ann@example.com>\n"), nil, []string{"header/encoded-word-charset"}},
	{"UNKNOWN-8BIT display name", with("From: =?UNKNOWN-8BIT?Q?Ann?= <ann@example.com>\n"), nil, []string{"header/encoded-word-charset"}},
	{"comment in Content-Type", with("Content-Type: text/plain (a comment); charset=utf-8 (another)\n"), nil, nil},
	{"comment after the encoding", with("Content-Transfer-Encoding: quoted-printable (as the sender wrote it)\n"), nil, nil},
	{"nodemailer's List-Unsubscribe", with("List-Unsubscribe: <https://example.com/unsubscribe?id=1> (Unsubscribe)\n"), nil, nil},
	{"a 69-character boundary", strings.Replace(with("Content-Type: multipart/mixed;\n boundary=\""+strings.Repeat("b", 69)+"\"\n"), "Hello, Ann.\r\n", "--"+strings.Repeat("b", 69)+"\r\n\r\nhi\r\n--"+strings.Repeat("b", 69)+"--\r\n", 1), nil, []string{"line/long"}}, // the header line is over 78: fold it
	{"a plain name beside its RFC 2231 form", strings.Replace(with("Content-Type: multipart/mixed; boundary=b\n"), "Hello, Ann.\r\n", "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename=\""+strings.Repeat("n", 61)+".pdf\";\r\n filename*=utf-8''"+strings.Repeat("n", 61)+".pdf\r\n\r\nx\r\n--b--\r\n", 1), nil, []string{"line/long"}},
	{"phrase with a Q word and quotes apart", with("From: =?utf-8?q?J=C3=B6rg?= \"the admin\" <j@example.com>\n"), nil, nil},
	{"dotted name (obsolete)", with("From: Joe Q. Public <joe@example.com>\n"), nil, []string{"header/obsolete"}},
	{"empty Bcc", with("Bcc:\n"), nil, nil},
	{"Reply-To group", with("Reply-To: Team: a@example.com, b@example.com;\n"), nil, nil},
	{"an unlabelled 8-bit body with 8BITMIME", good + "Café\r\n", []Option{EightBitMIME()}, []string{"body/8bit-undeclared"}},
	{"GMT", with("Date: Tue, 01 Dec 2026 20:00:00 GMT\n"), nil, []string{"header/obsolete"}},
	{"domain literal", with("To: ann@[192.0.2.1]\n"), nil, nil},
	{"quoted local-part", with("To: \"ann smith\"@example.org\n"), nil, nil},
	{"References folded", with("References: <a@example.com>\n <b@example.com>\n\t<c@example.com>\n"), nil, nil},
	{"seconds omitted, one-digit day", with("Date: Tue, 1 Dec 2026 20:00 +0000\n"), nil, nil},
}

// forbidden are constructs the RFCs forbid, one row each, with the rule
// that reports it.
var forbidden = []struct {
	name string
	data string
	opts []Option
	want []string
}{
	{"encoded-word in a quoted-string", with("From: \"=?utf-8?q?J=C3=B6rg?=\" <j@example.com>\n"), nil, []string{"header/encoded-word-quoted"}},
	{"encoded-word glued to text in Subject", with("Subject: Re:=?utf-8?q?Caf=C3=A9?=\n"), nil, []string{"header/encoded-word-adjacent"}},
	{"encoded-words glued together", with("Subject: =?utf-8?q?a?==?utf-8?q?b?=\n"), nil, []string{"header/encoded-word-adjacent"}},
	{"encoded-word glued in a name", with("From: =?utf-8?q?J=C3=B6rg?=Smith <j@example.com>\n"), nil, []string{"header/encoded-word-adjacent"}},
	{"quote in a Q word in a name", with("From: =?utf-8?q?J=C3=B6rg_\"JJ\"?= <j@example.com>\n"), nil, []string{"header/encoded-word-specials"}},
	{"parenthesis in a Q word in a name", with("From: =?utf-8?q?J=C3=B6rg_(admin)?= <j@example.com>\n"), nil, []string{"header/encoded-word-specials"}},
	{"type without subtype", with("Content-Type: text\n"), nil, []string{"mime/content-type-syntax"}},
	{"Message-ID with two @", with("Message-ID: <a@b@example.com>\n"), nil, []string{"header/message-id-syntax"}},
	{"Message-ID with ..", with("Message-ID: <a..b@example.com>\n"), nil, []string{"header/message-id-syntax"}},
	{"Message-ID with a space", with("Message-ID: <a b@example.com>\n"), nil, []string{"header/message-id-syntax"}},
	{"two Message-IDs", with("Message-ID: <a@example.com> <b@example.com>\n"), nil, []string{"header/message-id-syntax"}},
	{"In-Reply-To without brackets", with("In-Reply-To: 1234@example.com\n"), nil, []string{"header/references-syntax"}},
	{"References with commas", with("References: <a@example.com>, <b@example.com>\n"), nil, []string{"header/references-syntax"}},
	{"raw 8-bit in quoted-printable", strings.Replace(with("Content-Transfer-Encoding: quoted-printable\n"), "Hello, Ann.", "Caf\xc3\xa9", 1), []Option{EightBitMIME()}, []string{"mime/quoted-printable"}},
	{"trailing space in quoted-printable", strings.Replace(with("Content-Transfer-Encoding: quoted-printable\n"), "Hello, Ann.", "Hello, Ann. ", 1), nil, []string{"mime/quoted-printable"}},
	{"base64 not a multiple of 4", strings.Replace(with("Content-Transfer-Encoding: base64\n"), "Hello, Ann.", "SGVsbG8", 1), nil, []string{"mime/base64"}},
	{"base64 padding in the middle", strings.Replace(with("Content-Transfer-Encoding: base64\n"), "Hello, Ann.", "SGU=SGVs", 1), nil, []string{"mime/base64"}},
	{"base64 multipart", strings.Replace(with("Content-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: base64\n"), "Hello, Ann.\r\n", "--b\r\n\r\nhi\r\n--b--\r\n", 1), nil, []string{"mime/composite-encoding"}},
	{"quoted-printable message/rfc822", strings.Replace(with("Content-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable\n"), "Hello, Ann.\r\n", "Subject: hi\r\n\r\nhi\r\n", 1), nil, []string{"mime/composite-encoding"}},
	{"empty From", with("From:\n"), nil, []string{"header/address-empty"}},
	{"empty To", with("To: \n"), nil, []string{"header/address-empty"}},
	{"group in From", with("From: Team: a@example.com;\nSender: a@example.com\n"), nil, []string{"header/originator-syntax"}},
	{"two mailboxes in Sender", with("Sender: a@example.com, b@example.com\n"), nil, []string{"header/originator-syntax"}},
	{"wrong day-of-week", with("Date: Mon, 01 Dec 2026 20:00:00 +0000\n"), nil, []string{"header/date-weekday"}},
	{"zone UTC", with("Date: Tue, 01 Dec 2026 20:00:00 UTC\n"), nil, []string{"header/date-syntax"}},
	{"one-digit hour", with("Date: Tue, 01 Dec 2026 8:00:00 +0000\n"), nil, []string{"header/date-syntax"}},
	{"no such date", with("Date: 31 Feb 2026 08:00:00 +0000\n"), nil, []string{"header/date-syntax"}},
	{"quoted extended value", with("Content-Type: text/plain; name*=\"utf-8''caf%C3%A9.txt\"\n"), nil, []string{"mime/param-syntax"}},
	{"continuation gap", with("Content-Type: text/plain; name*0=\"a\"; name*2=\"b\"\n"), nil, []string{"mime/param-syntax"}},
	{"bad percent escape", with("Content-Type: text/plain; name*=utf-8''caf%C3%A\n"), nil, []string{"mime/param-syntax"}},
	{"whitespace-only continuation line", with("Subject: Hello\n \n there\n"), nil, []string{"header/obsolete"}},
	{"7bit label on 8-bit bytes with 8BITMIME", with("Content-Transfer-Encoding: 7bit\n") + "Café\r\n", []Option{EightBitMIME()}, []string{"body/8bit"}},
	{"unquoted tspecial in a value", with("Content-Type: multipart/mixed; boundary=----=_Part_1\n"), nil, []string{"mime/content-type-syntax"}},
	{"List-Unsubscribe without brackets", with("List-Unsubscribe: https://example.com/u\n"), nil, []string{"list/unsubscribe-syntax"}},
	{"List-Help without brackets", with("List-Help: mailto:help@example.com\n"), nil, []string{"list/syntax"}},
	{"unclosed comment in an address", with("To: ann@example.org (Ann\n"), nil, []string{"header/address-syntax"}},
}

func TestAllowedAndForbidden(t *testing.T) {
	for _, set := range []struct {
		name string
		rows []struct {
			name string
			data string
			opts []Option
			want []string
		}
	}{{"allowed", allowed}, {"forbidden", forbidden}} {
		for _, tc := range set.rows {
			t.Run(set.name+"/"+tc.name, func(t *testing.T) {
				ps := Check([]byte(tc.data), tc.opts...)
				if got := rules(ps); !slices.Equal(got, tc.want) {
					t.Errorf("rules %q, want %q\n%v", got, tc.want, ps)
				}
				for _, p := range ps {
					if set.name == "allowed" && p.Severity == Error {
						t.Errorf("allowed construct gets an Error: %v", p)
					}
					if set.name == "forbidden" && ruleByID[p.Rule].Ref == "" {
						t.Errorf("problem without a clause: %v", p)
					}
				}
			})
		}
	}
}

// TestGrammarGrowsLinearly: each structured field, however long, is read
// in time linear in its length (one field of 1 MiB folded over many
// lines, of every shape the grammar reads).
func TestGrammarGrowsLinearly(t *testing.T) {
	field := func(name, first, each, sep string) func(n int) []byte {
		return func(n int) []byte {
			var b strings.Builder
			h, body, _ := strings.Cut(good, "\r\n\r\n")
			b.WriteString(h + "\r\n" + name + ": " + first)
			for b.Len() < n {
				b.WriteString(sep + "\r\n " + each)
			}
			b.WriteString("\r\n\r\n" + body)
			return []byte(b.String())
		}
	}
	for _, tc := range []struct {
		name  string
		build func(int) []byte
	}{
		{"addresses", field("Cc", "a@example.com", `"Ann (x)" <ann(c)@example.org>`, ",")},
		{"groups", field("Cc", "G: a@example.com;", "G: =?utf-8?q?J=C3=B6rg?= <j@example.org>;", ",")},
		{"nested comments", field("Cc", "(", "((a)(b(c))", "")},
		{"dotted local-part", field("Cc", "a", ". b", "")},
		{"references", field("References", "<a@example.com>", "<b.c@example.org>", "")},
		{"parameters", field("Content-Disposition", "attachment", `name*9="`+strings.Repeat("v", 64)+`"`, ";")},
		{"extended parameters", field("Content-Disposition", "attachment; n*0*=utf-8''a", "n*1*=%C3%A9%C3%A9", ";")},
		{"encoded-words", field("Subject", "=?utf-8?q?a?=", "=?utf-8?q?J=C3=B6rg?=x", "")},
		{"list URIs", field("List-Unsubscribe", "<https://example.com/u>", "(c) <mailto:u@example.com?subject=u>", ",")},
		{"date comments", field("Date", "Tue, 01 Dec 2026 20:00:00 +0000", "(c)", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			growth.Linear(t, tc.build, func(data []byte) { Check(data) })
		})
	}
}
