#!/usr/bin/env perl
# The peer for bench_bounces.py --peer: Sisimai (Perl) over the same corpus files, in the same
# way as our benchmark (every file read into memory first; best pass per CPU-second).
#
#   perl bench/sisimai_peer.pl REPEAT < list-of-email-paths
#   perl bench/sisimai_peer.pl --dump < list-of-email-paths   (for bench/peer_accuracy.py)
#
# Needs Sisimai (Debian: apt-get install libsisimai-perl). Prints one line of JSON:
# {"sisimai": version, "files": n, "results": decoded recipients, "best_cpu_s": seconds}
# With --dump: a first line {"sisimai": version}, then one JSON line per decoded recipient
# (delivered and vacation results included, as the corpus labels include them): file, index
# (1-based), reason, status, softbounce, feedbacktype.
use strict;
use warnings;
use JSON::PP;
use Sisimai;
use Time::HiRes qw(clock_gettime CLOCK_PROCESS_CPUTIME_ID);

# [[path, text], ...] of the email files named on standard input, one path a line.
sub read_files {
    my @files;
    while (my $path = <STDIN>) {
        chomp $path;
        next unless length $path;
        open(my $fh, '<:raw', $path) or die "cannot read $path: $!";
        push @files, [$path, do { local $/; <$fh> }];
        close $fh;
    }
    return @files;
}

if (@ARGV && $ARGV[0] eq '--dump') {
    my $json = JSON::PP->new->canonical;
    print $json->encode({sisimai => "$Sisimai::VERSION"}), "\n";   # first line: the version
    for my $file (read_files()) {
        my ($path, $text) = @$file;
        my $index = 0;
        for my $d (@{ Sisimai->make(\$text, delivered => 1, vacation => 1) || [] }) {
            print $json->encode({file => $path, index => ++$index, reason => $d->reason,
                                 status => $d->deliverystatus, softbounce => $d->softbounce + 0,
                                 feedbacktype => $d->feedbacktype}), "\n";
        }
    }
    exit 0;
}

my $repeat = shift @ARGV || 5;
my @texts = map { $_->[1] } read_files();

my ($best, $results) = (undef, 0);
for my $pass (0 .. $repeat) {    # pass 0 warms up, as in bench_bounces.py
    my $start = clock_gettime(CLOCK_PROCESS_CPUTIME_ID);
    my $count = 0;
    for my $text (@texts) {
        my $decoded = Sisimai->make(\$text);
        $count += scalar @{ $decoded || [] };
    }
    my $cpu = clock_gettime(CLOCK_PROCESS_CPUTIME_ID) - $start;
    $results = $count;
    $best = $cpu if $pass && (!defined $best || $cpu < $best);
}
printf "{\"sisimai\": \"%s\", \"files\": %d, \"results\": %d, \"best_cpu_s\": %.6f}\n",
    $Sisimai::VERSION, scalar @texts, $results, $best;
