package lint

// Rule describes one check of [Check]: its stable id, its severity, where
// it comes from, and what it means.
type Rule struct {
	ID       string
	Severity Severity
	Ref      string
	Doc      string
}

// Rules lists every rule Check applies, in the order of this table. Ids
// are stable: a test may Ignore one.
var Rules = []Rule{
	{"line/too-long", Error, "RFC 5322 2.1.1", "a line longer than 998 octets (without its CRLF)"},
	{"line/long", Warning, "RFC 5322 2.1.1", "a header line longer than 78 octets"},
	{"line/bare-lf", Error, "RFC 5322 2.3", "an LF without CR before it; receivers reject it (RFC 5321 2.3.8)"},
	{"line/bare-cr", Error, "RFC 5322 2.3", "a CR without LF after it"},
	{"line/nul", Error, "RFC 5322 2.3", "a NUL byte"},

	{"header/malformed", Error, "RFC 5322 2.2", "a header line that is no field (no colon) and no continuation"},
	{"header/field-name", Error, "RFC 5322 2.2", "a field name that is not printable ASCII"},
	{"header/date-missing", Error, "RFC 5322 3.6", "no Date field"},
	{"header/from-missing", Error, "RFC 5322 3.6", "no From field"},
	{"header/duplicate", Error, "RFC 5322 3.6", "a field that may appear once appears more often (Date, From, Sender, Reply-To, To, Cc, Bcc, Message-ID, In-Reply-To, References, Subject)"},
	{"header/date-syntax", Error, "RFC 5322 3.3", "a Date or Resent-Date that is not an RFC 5322 date-time (obsolete forms read): a zone such as UTC (time.RFC1123 writes it), a one-digit hour, a date that does not exist"},
	{"header/date-weekday", Error, "RFC 5322 3.3", "a day-of-week that is not the date's"},
	{"header/address-syntax", Error, "RFC 5322 3.4", "an address field (From, Sender, Reply-To, To, Cc, Bcc, Resent-*) that does not parse by RFC 5322's grammar (comments, folding, groups and the obsolete forms allowed)"},
	{"header/address-empty", Error, "RFC 5322 3.6.2", "an empty From, Sender, Reply-To, To or Cc (only Bcc may be empty)"},
	{"header/originator-syntax", Error, "RFC 5322 3.6.2", "a group in From or Sender, or more than one mailbox in Sender"},
	{"header/sender-missing", Error, "RFC 5322 3.6.2", "From has several mailboxes and there is no Sender"},
	{"header/message-id-missing", Warning, "RFC 5322 3.6.4", "no Message-ID (a SHOULD, but Gmail rejects bulk mail without one: an Error with BulkSender)"},
	{"header/message-id-syntax", Error, "RFC 5322 3.6.4", "a Message-ID that is not one msg-id, <id-left@id-right> (two '@', '..', spaces; comments around it are allowed)"},
	{"header/references-syntax", Error, "RFC 5322 3.6.4", "an In-Reply-To or References that is not a list of msg-ids"},
	{"header/obsolete", Warning, "RFC 5322 4", "obsolete syntax that readers must accept and writers must not produce: a two-digit year, an alphabetic zone such as GMT, comments inside a time or an address, a whitespace-only continuation line, space before a field's colon, ..."},
	{"header/8bit", Error, "RFC 6532 3.2", "raw non-ASCII in a header field of a message not sent over SMTPUTF8 (use RFC 2047 encoded-words)"},
	{"header/invalid-utf8", Error, "RFC 6532 3.2", "raw bytes in a header field that are not valid UTF-8"},
	{"header/encoded-word-long", Error, "RFC 2047 2", "an encoded-word longer than 75 characters"},
	{"header/encoded-word-syntax", Error, "RFC 2047 2", "an encoded-word that does not decode (a language, =?UTF-8*EN?Q?...?=, is allowed: RFC 2231 5)"},
	{"header/encoded-word-quoted", Error, "RFC 2047 5(3)", "an encoded-word inside a quoted-string of a phrase (a display name): readers must not decode it"},
	{"header/encoded-word-adjacent", Error, "RFC 2047 5(1)", "an encoded-word glued to the text or word beside it (in an unstructured field such as Subject, or a display name)"},
	{"header/encoded-word-specials", Error, "RFC 2047 5(3)", "a Q encoded-word in a display name with a character other than letters, digits and !*+-/=_ (a '\"', '(', ',' ...)"},
	{"header/encoded-word-charset", Warning, "RFC 2047 2", "an encoded-word in a charset readers may not know"},

	{"mime/version-missing", Error, "RFC 2045 4", "MIME fields without MIME-Version: 1.0"},
	{"mime/content-type-syntax", Error, "RFC 2045 5.1", "a Content-Type that does not parse (a type without subtype, a value with tspecials unquoted; comments are allowed)"},
	{"mime/param-syntax", Error, "RFC 2231 3, 4", "a parameter RFC 2231 forbids: an extended value in quotes, sections not numbered 0, 1, 2 ..., a malformed %XX, a parameter given twice"},
	{"mime/charset-unknown", Warning, "RFC 2045 5.1", "a charset readers may not know"},
	{"mime/encoding-unknown", Error, "RFC 2045 6.1", "a Content-Transfer-Encoding that is not 7bit, 8bit, binary, quoted-printable, base64 or an x- token"},
	{"mime/encoding-private", Warning, "RFC 2045 6.3", "a private x- Content-Transfer-Encoding: allowed, but only readers that agreed on it can decode the part"},
	{"mime/composite-encoding", Error, "RFC 2045 6.4", "a multipart or message/* entity encoded base64 or quoted-printable (RFC 2046 5.2: message/partial and external-body only 7bit)"},
	{"mime/base64", Error, "RFC 2045 6.8", "base64 data with bytes outside its alphabet, a length that is not a multiple of 4, or '=' padding that is not at its end"},
	{"mime/quoted-printable", Error, "RFC 2045 6.7", "quoted-printable data with a malformed escape, a raw 8-bit byte, or white space at the end of a line"},
	{"mime/encoded-line-long", Error, "RFC 2045 6.7", "a line of base64 or quoted-printable data longer than 76 characters"},
	{"body/8bit", Error, "RFC 2045 6.2", "8-bit bytes in a body labelled Content-Transfer-Encoding: 7bit (even with BODY=8BITMIME: a relay that downgrades trusts the label), or without the field and sent without BODY=8BITMIME (RFC 6152 3)"},
	{"body/8bit-undeclared", Warning, "RFC 2045 6.2", "8-bit bytes in a body without Content-Transfer-Encoding, sent with BODY=8BITMIME"},
	{"body/8bit-without-8bitmime", Warning, "RFC 6152 3", "a Content-Transfer-Encoding: 8bit body sent without BODY=8BITMIME"},
	{"mime/boundary-missing", Error, "RFC 2046 5.1.1", "a multipart Content-Type without a boundary"},
	{"mime/boundary-syntax", Error, "RFC 2046 5.1.1", "a boundary that is not 1 to 70 of the allowed characters"},
	{"mime/boundary-in-body", Error, "RFC 2046 5.1.1", "a line of a multipart body that starts with the boundary but is no delimiter (the boundary must not occur in the parts)"},
	{"mime/boundary-unclosed", Error, "RFC 2046 5.1.1", "a multipart body without its closing delimiter"},
	{"mime/no-parts", Error, "RFC 2046 5.1.1", "a multipart body without any part"},
	{"mime/alternative-order", Warning, "RFC 2046 5.1.4", "a multipart/alternative whose HTML comes before its plain text (the last part is the preferred one)"},
	{"mime/disposition-syntax", Error, "RFC 2183 2", "a Content-Disposition that does not parse"},
	{"mime/param-encoded-word", Warning, "RFC 2047 5", "an encoded-word inside a quoted parameter (use RFC 2231: filename*=utf-8''...); most readers decode it"},
	{"mime/param-long", Warning, "RFC 2231 3", "a quoted parameter (a filename, say) over 60 characters, without an RFC 2231 form (a boundary, up to 70, is not one)"},
	{"mime/content-id", Warning, "RFC 2045 7", "a Content-ID that is not <left@right>"},
	{"mime/too-deep", Error, "RFC 2046 5.1", "parts nested deeper than 32 levels"},

	{"list/syntax", Error, "RFC 2369 3", "a List-Help, List-Subscribe, List-Post, List-Owner or List-Archive that is not a comma-separated list of <URI>s (comments allowed; List-Post may be NO)"},
	{"list/unsubscribe-syntax", Error, "RFC 2369 3.2", "a List-Unsubscribe that is not a comma-separated list of <URI>s (comments allowed)"},
	{"list/unsubscribe-post-alone", Error, "RFC 8058 3.1", "List-Unsubscribe-Post without List-Unsubscribe"},
	{"list/unsubscribe-post-syntax", Error, "RFC 8058 3.1", "a List-Unsubscribe-Post that is not List-Unsubscribe=One-Click"},
	{"list/list-id-syntax", Error, "RFC 2919 2", "a List-Id that is not [phrase] <list-label.namespace>, or more than one"},
	{"header/auto-submitted-syntax", Error, "RFC 3834 5", "an Auto-Submitted that is not no, auto-generated, auto-replied or a token, with ; parameters, or more than one"},
	{"list/feedback-id", Warning, "Gmail bulk sender guidelines", "BulkSender: a Feedback-ID that is not a:b:c:SenderId (up to four identifiers, the last not empty), given twice, or signed by no DKIM signature"},
	{"list/unsubscribe-missing", Error, "RFC 8058 3.1", "BulkSender: no List-Unsubscribe (Gmail and Yahoo require one-click unsubscription)"},
	{"list/one-click-missing", Error, "RFC 8058 3.1", "BulkSender: no https URI in List-Unsubscribe, or no List-Unsubscribe-Post: List-Unsubscribe=One-Click"},

	{"dkim/invalid", Error, "RFC 6376 6.1", "DKIMKeys: a DKIM-Signature that does not verify (body hash mismatch, bad signature, expired, ...)"},
	{"dkim/no-key", Warning, "RFC 6376 6.1.2", "DKIMKeys: a DKIM-Signature by a domain and selector the keys lack"},
	{"dkim/body-length", Warning, "RFC 6376 8.2", "a DKIM-Signature with l= (with DKIMKeys: one that leaves part of the body unsigned)"},
	{"dkim/missing", Error, "RFC 6376 3.5", "BulkSender: no DKIM-Signature (Gmail and Yahoo require one)"},
	{"dkim/not-aligned", Error, "RFC 7489 3.1", "BulkSender: no DKIM signature (with DKIMKeys: none that verified) by a domain aligned with From"},
	{"dmarc/spf-not-aligned", Warning, "RFC 7489 3.1.2", "BulkSender with MailFrom: a MAIL FROM domain not aligned with From (relaxed): SPF cannot pass DMARC, only an aligned DKIM signature can"},
	{"dkim/unsigned-field", Error, "RFC 8058 4", "BulkSender: no aligned DKIM signature signs From and the List-Unsubscribe and List-Unsubscribe-Post present"},

	{"content/placeholder", Error, "smtptest content", "an unrendered template placeholder in the Subject, a text or the HTML: {{...}}, {%...%}, *|MERGE|*, ${...}, %recipient...%"},
	{"content/link-local", Error, "RFC 6761 6, RFC 1918", "a link or image to localhost, a loopback, private, link-local or unspecified address, or a name under .test, .example, .invalid, .localhost or .local (AllowHosts lets a test's own through)"},
	{"content/link-relative", Error, "RFC 3986 5.1", "a relative link or image URL (src=\"/logo.png\") in HTML without <base>: a mail has no address to resolve it against"},
	{"content/link-javascript", Error, "HTML email clients", "a javascript: or vbscript: link: mail clients run no scripts"},
	{"content/cid-missing", Error, "RFC 2392", "a cid: image whose Content-ID no part of the message has"},
	{"content/cid-unused", Warning, "RFC 2387", "an inline image part (with a Content-ID) the HTML never references"},
	{"content/html-only", Warning, "RFC 2046 5.1.4", "HTML without a text/plain alternative"},
	{"content/links-differ", Warning, "RFC 2046 5.1.4", "a link of the text alternative that the HTML alternative lacks: the alternatives say different things"},
	{"content/link-text-mismatch", Warning, "anti-phishing filters", "a link whose text shows one domain while it goes to another"},
	{"content/image-only", Warning, "M3AAWG Senders BCP", "HTML that is images with under 100 characters of text: blank where images are blocked, and distrusted by filters"},
	{"content/img-alt", Warning, "WCAG 2.1 1.1.1", "an <img> without alt"},
	{"content/lang-missing", Warning, "WCAG 2.1 3.1.1", "<html> without a lang attribute"},
	{"content/unsafe-element", Warning, "HTML email clients", "<script>, <iframe>, <object>, <embed> or <form> in the HTML: clients remove them"},
	{"content/html-clipped", Warning, "Gmail", "HTML over 102 KB: Gmail clips it (\"[Message clipped]\"), and the unsubscribe link at its end with it"},
	{"content/message-large", Error, "Gmail, Outlook.com", "a message over 25 MB: the largest providers refuse it"},
	{"content/link-http", Warning, "policy (RequireHTTPS)", "RequireHTTPS: an http: link"},
	{"content/client-support", Warning, "caniemail.com", "Clients: an HTML or CSS feature (element, attribute, property, value, at-rule, selector, unit, function, image format) that a chosen mail client does not support, or supports in part, in its newest version tested"},
	{"content/tracking-pixel", Info, "fact", "a 1x1 image: a tracking pixel (an Info, not a defect)"},

	{"lint/unknown-client", Warning, "smtptest lint", "Clients names a client caniemail does not have (lint.ClientNames lists them)"},
	{"lint/truncated", Warning, "smtptest lint", "the problems past MaxPerRule of one rule or MaxProblems in all, counted (its severity is the highest of those left out)"},
}

// ruleByID finds a rule by its id.
var ruleByID = func() map[string]Rule {
	m := make(map[string]Rule, len(Rules))
	for _, r := range Rules {
		m[r.ID] = r
	}
	return m
}()
