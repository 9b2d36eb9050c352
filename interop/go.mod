module github.com/smtptest/smtptest/interop

go 1.26.0

require (
	github.com/emersion/go-smtp v0.25.1
	github.com/jordan-wright/email v4.0.1-0.20210109023952-943e75fe5223+incompatible
	github.com/smtptest/smtptest v0.0.0
	github.com/wneessen/go-mail v0.8.1
	github.com/xhit/go-simple-mail/v2 v2.16.0
	go.uber.org/goleak v1.3.0
	gopkg.in/gomail.v2 v2.0.0-20160411212932-81ebce5c23df
)

require (
	github.com/emersion/go-message v0.18.2 // indirect
	github.com/emersion/go-msgauth v0.7.0 // indirect
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6 // indirect
	github.com/go-test/deep v1.1.2 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/tdewolff/parse/v2 v2.8.20 // indirect
	github.com/toorop/go-dkim v0.0.0-20201103131630-e1cd1a0a5208 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	gopkg.in/alexcesaro/quotedprintable.v3 v3.0.0-20150716171945-2caba252f4dc // indirect
)

replace github.com/smtptest/smtptest => ../
