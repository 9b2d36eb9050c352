module github.com/smtptest/smtptest/bench

go 1.26.0

require (
	github.com/emersion/go-smtp v0.25.1
	github.com/mhale/smtpd v0.8.3
	github.com/mocktools/go-smtp-mock/v2 v2.5.4
	github.com/smtptest/smtptest v0.0.0
)

require (
	github.com/emersion/go-message v0.18.2 // indirect
	github.com/emersion/go-msgauth v0.7.0 // indirect
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6 // indirect
	github.com/tdewolff/parse/v2 v2.8.20 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/text v0.43.0 // indirect
)

replace github.com/smtptest/smtptest => ../
