# Ruby's mail gem composes the interop message and sends it over SMTP
# (interop's TestRubyMail runs it):
# ruby send.rb host port subject text html image attachment name
require "mail"

host, port, subject, text, html, image, attachment, name = ARGV
mail = Mail.new
mail.from = "sender@example.com"
mail.to = "rcpt@example.org"
mail.subject = subject
mail.charset = "UTF-8"
mail.attachments.inline["logo.png"] = { content: File.binread(image), mime_type: "image/png", content_id: "<logo@interop.example>" }
mail.text_part = Mail::Part.new do
  content_type "text/plain; charset=UTF-8"
  body text
end
mail.html_part = Mail::Part.new do
  content_type "text/html; charset=UTF-8"
  body html
end
mail.attachments[name] = { content: File.binread(attachment), mime_type: "application/pdf" }
mail.delivery_method :smtp, address: host, port: port.to_i, domain: "ruby.example",
  enable_starttls_auto: false, openssl_verify_mode: "none"
mail.deliver!
