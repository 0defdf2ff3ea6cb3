#!/usr/bin/perl
# certdata2pem.pl CERTDATA BLOCKLIST: the PEM bundle of Mozilla's certdata.txt, on stdout.
#
# Taken: every CKO_CERTIFICATE whose CKO_NSS_TRUST object (same label, issuer and serial)
# says CKA_TRUST_SERVER_AUTH CKT_NSS_TRUSTED_DELEGATOR, minus the labels in BLOCKLIST
# (Debian's blacklist.txt). Nothing else decides: no clock, no expiry date, no
# CKA_NSS_SERVER_DISTRUST_AFTER (a PEM bundle cannot say "trusted for certificates issued
# before a date", so those roots stay, as in Debian's bundle). Output in certdata.txt's
# order, each certificate preceded by its label; the same input gives the same bytes on
# any day.
use strict;
use warnings;
use MIME::Base64 qw(encode_base64);

my ($certdata, $blocklist) = @ARGV;
die "usage: certdata2pem.pl CERTDATA BLOCKLIST\n" unless defined $blocklist;

my %blocked;
open(my $b, '<', $blocklist) or die "$blocklist: $!\n";
while (my $line = <$b>) {
    $line =~ s/#.*//;
    $line =~ s/^\s+|\s+$//g;
    $blocked{$line} = 1 if length $line;
}
close $b;

# Objects are runs of attribute lines, separated by blank lines, after BEGINDATA.
my (@objects, %object, $multiline, $field);
my $in_data = 0;
open(my $in, '<', $certdata) or die "$certdata: $!\n";
while (my $line = <$in>) {
    chomp $line;
    if (!$in_data) { $in_data = 1 if $line =~ /^BEGINDATA/; next }
    next if $line =~ /^#/;
    if (defined $multiline) {
        if ($line eq 'END') { $object{$field} = $multiline; undef $multiline; next }
        while ($line =~ /\\([0-3][0-7][0-7])/g) { $multiline .= chr(oct($1)) }
        next;
    }
    if ($line =~ /^\s*$/) {
        push @objects, {%object} if %object;
        %object = ();
        next;
    }
    my ($name, $type, $value) = split(/ /, $line, 3);
    die "$certdata:$.: cannot read `$line`\n" unless defined $type;
    if ($type eq 'MULTILINE_OCTAL') { $field = $name; $multiline = ''; next }
    $object{$name} = defined $value ? "$type $value" : $type;
}
close $in;
push @objects, {%object} if %object;
die "$certdata: unterminated MULTILINE_OCTAL\n" if defined $multiline;

my %trusted;
for my $o (@objects) {
    next unless ($o->{CKA_CLASS} // '') eq 'CK_OBJECT_CLASS CKO_NSS_TRUST';
    next unless ($o->{CKA_TRUST_SERVER_AUTH} // '') eq 'CK_TRUST CKT_NSS_TRUSTED_DELEGATOR';
    $trusted{join("\0", $o->{CKA_LABEL}, $o->{CKA_ISSUER}, $o->{CKA_SERIAL_NUMBER})} = 1;
}

my $count = 0;
for my $o (@objects) {
    next unless ($o->{CKA_CLASS} // '') eq 'CK_OBJECT_CLASS CKO_CERTIFICATE';
    my $label = $o->{CKA_LABEL} // '';
    next unless $trusted{join("\0", $label, $o->{CKA_ISSUER}, $o->{CKA_SERIAL_NUMBER})};
    my $quoted = $label =~ s/^UTF8 //r;
    next if $blocked{$quoted};
    (my $shown = $quoted) =~ s/^"|"$//g;
    my $pem = encode_base64($o->{CKA_VALUE}, '');
    $pem =~ s/(.{1,64})/$1\n/g;
    print "# $shown\n-----BEGIN CERTIFICATE-----\n$pem-----END CERTIFICATE-----\n";
    $count++;
}
die "$certdata: no trusted certificate found\n" unless $count;
print STDERR "certdata2pem.pl: $count certificates\n";
