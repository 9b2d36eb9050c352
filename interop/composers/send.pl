# Perl's MIME-tools composes the interop message and Net::SMTP sends it
# (interop's TestPerlMIMETools runs it):
# perl send.pl host port subject text html image attachment name
use strict;
use warnings;
use utf8;
use Encode qw(decode encode);
use MIME::Entity;
use MIME::Words qw(encode_mimeword);
use Net::SMTP;
use POSIX qw(strftime);

my ($host, $port, $subject, $text, $html, $image, $attachment, $name) = map { decode('UTF-8', $_) } @ARGV;

my $top = MIME::Entity->build(
    Type       => 'multipart/mixed',
    From       => 'sender@example.com',
    To         => 'rcpt@example.org',
    Subject    => encode_mimeword(encode('UTF-8', $subject), 'Q', 'UTF-8'),
    Date       => strftime('%a, %d %b %Y %H:%M:%S +0000', gmtime),
    'Message-ID' => '<' . time . ".$$\@perl.example>",
);
my $related = MIME::Entity->build(Type => 'multipart/related');
my $alt = MIME::Entity->build(Type => 'multipart/alternative');
$alt->attach(Type => 'text/plain', Charset => 'UTF-8', Encoding => 'quoted-printable', Data => encode('UTF-8', $text));
$alt->attach(Type => 'text/html', Charset => 'UTF-8', Encoding => 'quoted-printable', Data => encode('UTF-8', $html));
$related->add_part($alt);
$related->attach(Path => $image, Type => 'image/png', Encoding => 'base64', Disposition => 'inline',
    Filename => 'logo.png', Id => '<logo@interop.example>');
$top->add_part($related);
$top->attach(Path => $attachment, Type => 'application/pdf', Encoding => 'base64', Disposition => 'attachment',
    Filename => $name);

my $smtp = Net::SMTP->new($host, Port => $port, Hello => 'perl.example', Timeout => 30) or die "connect: $@";
$smtp->mail('sender@example.com') or die 'MAIL: ' . $smtp->message;
$smtp->to('rcpt@example.org') or die 'RCPT: ' . $smtp->message;
$smtp->data($top->stringify) or die 'DATA: ' . $smtp->message;
$smtp->quit;
