<?php
// PHPMailer composes the interop message and sends it over SMTP
// (interop's TestPHPMailer runs it):
// php send.php host port subject text html image attachment name
require '/usr/share/php/libphp-phpmailer/autoload.php';

use PHPMailer\PHPMailer\PHPMailer;

[, $host, $port, $subject, $text, $html, $image, $attachment, $name] = $argv;
$mail = new PHPMailer(true);
$mail->isSMTP();
$mail->Host = $host;
$mail->Port = (int)$port;
$mail->SMTPAutoTLS = false;
$mail->SMTPAuth = false;
$mail->Hostname = 'php.example';
$mail->Helo = 'php.example';
$mail->CharSet = PHPMailer::CHARSET_UTF8;
$mail->setFrom('sender@example.com');
$mail->addAddress('rcpt@example.org');
$mail->Subject = $subject;
$mail->isHTML(true);
$mail->Body = $html;
$mail->AltBody = $text;
$mail->addEmbeddedImage($image, 'logo@interop.example', 'logo.png', PHPMailer::ENCODING_BASE64, 'image/png');
$mail->addAttachment($attachment, $name, PHPMailer::ENCODING_BASE64, 'application/pdf');
$mail->send();
