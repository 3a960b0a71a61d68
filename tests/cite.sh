#!/bin/sh
# cite.sh [--list | --fix] [SRCDIR]: the citations in the tree, checked (DESIGN-NOTES.md,
# "Citations"). Without an option every citation that does not resolve is printed as
# FILE:LINE: citation: why, and the exit status is 1 when there is one. --list prints every
# citation found, as FILE:LINE: kind citation: ok (or why not), with the same status.
# --fix rewrites what can be rewritten mechanically, then checks as without it: paths into
# ../shared/docs become docs/, a file with bare section numbers whose header names no
# document gets a header line naming one, a paragraph of a man page or Markdown file
# gets the document's name at its first bare number, DESIGN sections become the man
# page or file that says it in the tree. It can be run again: what is fixed stays so.
#
# A citation is one of
#   docs/NAME.md 3.13 | NAME.md 3.5-3.7, 3.14 and 8 | NAME.md section 10 | NAME.md
#       a document under docs/ (or a top-level file such as README.md); each section
#       number must be a heading of that document ("### 3.13 exportItems");
#   (3.17) | (3.15, 4.10) | (3, 11.1) | a comment starting "12.3.2: "
#       a bare number, dotted or in a list with a dotted one: a section of the first
#       document under docs/ that the file's header comment names (a whole number
#       alone, "(7)", is not taken for a citation: name the document for a chapter);
#       3.2.1 may also be item 1 of the numbered list under heading 3.2;
#   MS-OXCFXICS 2.2.4.1.4, RFC 6749 2.3.1, Graph "mailbox: exportItems"
#       public documents, listed and accepted as they are;
#   mbx(7) "DELTA STATE", mbx-graphd(1) FAULTS
#       a man page of this tree and one of its section or subsection titles (a prefix);
#   DESIGN 2
#       the design document outside the repo: refused, except in DESIGN-NOTES.md, which
#       records where the tree departs from it.
# Not citations: Markdown code (`...` and fenced blocks), and the lines between a line
# that says "cite.sh: off" and one that says "cite.sh: on" (examples of bad citations).
# Man pages and Markdown have no header comment: there a bare number is a section of the
# document named last before it in the same paragraph.
LC_ALL=C; export LC_ALL      # the order files are listed in, and bytes in the regexes
mode=check
case $1 in
--list) mode=list; shift ;;
--fix) mode=fix; shift ;;
--*) echo "usage: cite.sh [--list | --fix] [SRCDIR]" >&2; exit 2 ;;
esac
top=${1:-.}
[ -d "$top" ] || { echo "cite.sh: no such directory '$top'" >&2; exit 2; }
cd "$top" || exit 2
files=$(ls bin/*.c lib/*.[ch] lib/*/*.[ch] lib/*/*/*.[ch] tests/*.c tests/*.bats tests/*.bash tests/*.sh \
	tests/bench/*.sh tests/fuzz/*.c tests/fuzz/*.sh man/*.[1-9] docs/*.md README.md \
	DESIGN-NOTES.md tests/README tests/README.md Makefile.am configure.ac demo.sh .ci/* \
	2>/dev/null)
[ -n "$files" ] || { echo "cite.sh: no sources under '$top'" >&2; exit 2; }
prog=$(cat <<'PERL'
use strict;
use warnings;

my $mode = $ENV{MODE};
my $SEC = qr/\d{1,2}(?:\.\d{1,2}){0,2}(?![\d.]*\d)/;
my $DSEC = qr/\d{1,2}(?:\.\d{1,2}){1,2}(?![\d.]*\d)/;
my $SEP = qr/\s*(?:-|\xe2\x80\x93|\\\(en|,\s*and|,|and|or)\s*/;
my $LIST = qr/$SEC(?:$SEP$SEC)*/;
my $SHARED = qr/(?:\.\.\/)+(?:shared\/)?|\/(?:[\w.-]+\/)*shared\//;
my $DOC = qr/(?<![\w\/.-])((?:$SHARED)?(?:docs\/)?)([A-Za-z][\w-]*\.md)\b/;
my (%heads, %mantitles, $bad);

# Section numbers of a Markdown document: its headings "## 3." "### 3.13 ...", and the
# numbered list items under a heading: "1." under "### 12.3" is 12.3.1.
sub headings {
	my ($path) = @_;
	return $heads{$path} if $heads{$path};
	my (%h, $cur);
	if (open my $f, '<', $path) {
		while (<$f>) {
			if (/^#+\s+(\d+(?:\.\d+)*)\.?\s/) { $h{$cur = $1} = 1; }
			elsif (/^#/) { undef $cur; }
			elsif (defined $cur && /^\s*(\d+)\.\s/) { $h{"$cur.$1"} = 1; }
		}
	}
	return $heads{$path} = \%h;
}

# Section and subsection titles of a man page, upper-cased.
sub titles {
	my ($path) = @_;
	return $mantitles{$path} if $mantitles{$path};
	my @t;
	if (open my $f, '<', $path) {
		while (<$f>) { push @t, uc $1 if /^\.S[hs]\s+"?(.*?)"?\s*$/; }
	}
	return $mantitles{$path} = \@t;
}

sub sections {
	my ($list) = @_;
	return () unless defined $list && length $list;
	return grep { length } split /$SEP/, $list;
}

# Where a named document lives, or why it does not.
sub docpath {
	my ($prefix, $name) = @_;
	return (undef, "outside the repo") if $prefix =~ /shared|\.\./;
	return ("docs/$name") if -f "docs/$name";
	return ($name) if $prefix eq '' && -f $name && $name ne "DESIGN.md";
	return ("tests/$name") if $prefix eq '' && -f "tests/$name";
	return (undef, "no document docs/$name");
}

sub report {
	my ($file, $line, $text, $kind, $target, $why) = @_;
	$bad = 1 if defined $why;
	if ($mode eq 'list') {
		printf "%s:%d: %s %s: %s\n", $file, $line, $kind, $text, $why // 'ok';
	} elsif (defined $why) {
		printf "%s:%d: %s: %s\n", $file, $line, $text, $why;
	}
}

sub check_sections {
	my ($file, $ln, $text, $kind, $path, $list) = @_;
	my $h = headings($path);
	my @miss = grep { !$h->{$_} } sections($list);
	report($file, $ln, $text, $kind, $path,
	       @miss ? "no section " . join(', ', @miss) . " in $path" : undef);
}

# The header comment: a C file's first comment, a script's leading # lines.
sub header {
	my ($lines, $file) = @_;
	my $h = '';
	return '' if $file =~ /\.(md|[1-9])$/ || $file =~ m{(^|/)README$};
	if ($lines->[0] =~ m{^\s*/\*}) {
		for (@$lines) { $h .= $_; last if m{\*/}; }
	} else {
		for my $i (0 .. $#$lines) {
			my $l = $lines->[$i];
			next if $i == 0 && $l =~ /^#!/;
			last unless $l =~ /^#/;
			$h .= $l;
		}
	}
	return $h;
}

sub scan_named {
	my ($file, $ln, $l) = @_;
	while ($l =~ /$DOC(?::?\s+(?:sections?\s+|\xc2\xa7\s*)?($LIST))?/g) {
		my ($prefix, $name, $list) = ($1, $2, $3);
		my $text = $prefix . $name . (defined $list ? " $list" : '');
		my ($path, $why) = docpath($prefix, $name);
		undef $why if $file eq 'DESIGN-NOTES.md' && $name eq 'DESIGN.md';
		if (!$path) { report($file, $ln, $text, 'document', $name, $why); next; }
		if (defined $list && $path =~ /\.md$/) {
			check_sections($file, $ln, $text, 'document', $path, $list);
		} else {
			report($file, $ln, $text, 'document', $path, undef);
		}
	}
	while ($l =~ /\b(MS-OX[A-Z]+)\b\]?(?:\s+(?:sections?\s+|\xc2\xa7\s*)?(\d+(?:\.\d+)*))?/g) {
		report($file, $ln, $1 . (defined $2 ? " $2" : ''), 'public', $1, undef);
	}
	while ($l =~ /\bRFC\s?(\d{3,5})\b(?:\s+(?:sections?\s+)?(\d+(?:\.\d+)*))?/g) {
		report($file, $ln, "RFC $1" . (defined $2 ? " $2" : ''), 'public', "RFC $1", undef);
	}
	while ($l =~ /\bGraph\s+"([^"]+)"/g) {
		report($file, $ln, "Graph \"$1\"", 'public', 'Graph', undef);
	}
	while ($l =~ /\bDESIGN(?:\.md)?\s+(\d+[a-z]?)\b/g) {
		my $why = $file eq 'DESIGN-NOTES.md' ? undef
			: "the design document is outside the repo: cite the man page or docs/";
		report($file, $ln, "DESIGN $1", 'design', 'DESIGN', $why);
	}
}

sub scan_man {
	my ($file, $ln, $l) = @_;
	while ($l =~ /\b(mbx[\w-]*)\(([1-9])\)(?:\s+(?:"([A-Z][^"]*)"|((?:[A-Z][A-Z]+\b ?)+)))?/g) {
		my ($name, $sec, $title) = ($1, $2, $3 // $4);
		$title =~ s/\s+$// if defined $title;
		my $path = "man/$name.$sec";
		my $text = "$name($sec)" . (defined $title ? " $title" : '');
		if (!-f $path) { report($file, $ln, $text, 'man', $path, "no man page $path"); next; }
		if (!defined $title) { report($file, $ln, $text, 'man', $path, undef); next; }
		my $t = uc $title;
		my $ok = grep { index($_, $t) == 0 } @{titles($path)};
		report($file, $ln, $text, 'man', $path, $ok ? undef : "no section \"$title\" in $path");
	}
}

# Bare numbers: "(3.17)", "(3, 11.1)", "/* 12.3.2: ...". A whole number alone, "(7)", is
# too often a value to be taken for a section: cite a chapter with its document's name.
my $BARE = qr/(?<![\w\$\]])\(\s*($LIST)\s*(?=[);,]|\s+\[)|(?:\/\*|^\s*\*|^\s*#)\s+($DSEC(?:$SEP$SEC)*):\s/;

sub bare_lists {
	my ($l) = @_;
	my @r;
	while ($l =~ /$BARE/g) {
		my $list = $1 // $2;
		push @r, $list if $list =~ /\d\.\d/;
	}
	return @r;
}

sub scan_bare {
	my ($file, $ln, $l, $doc) = @_;
	for my $list (bare_lists($l)) {
		if (!$doc) {
			report($file, $ln, "($list)", 'bare', '', inline($file)
			       ? "a bare section number, but its paragraph names no document"
			       : "a bare section number, but the header comment names no document");
			next;
		}
		check_sections($file, $ln, "($list)", 'bare', $doc, $list);
	}
}

# Man pages and Markdown have no header comment: a bare number there is a section of the
# document named last before it in the same paragraph.
sub inline { return $_[0] =~ /\.(md|[1-9])$/ && $_[0] !~ m{^docs/}; }

sub paragraph_break {
	my ($file, $l) = @_;
	return $file =~ /\.md$/ ? $l =~ /^\s*$|^#/ : $l =~ /^\.(Pp|PP|LP|P|Sh|Ss|It|Bl|El)\b/;
}

# The documents under docs/ that a line names, in order.
sub named_docs {
	my ($l) = @_;
	my @d;
	while ($l =~ /$DOC/g) {
		my ($path) = docpath($1, $2);
		push @d, $path if $path && $path =~ m{^docs/};
	}
	return @d;
}

sub header_doc {
	my ($file, $lines) = @_;
	return $file if $file =~ m{^docs/.*\.md$};
	my $h = header($lines, $file);
	while ($h =~ /$DOC/g) {
		my ($path) = docpath($1, $2);
		return $path if $path && $path =~ m{^docs/};
	}
	return undef;
}

# Which lines hold no citations: between "cite.sh: off" and "cite.sh: on", and inside a
# Markdown file's fenced code blocks.
sub skipped {
	my ($file, $lines) = @_;
	my ($off, $fence, @skip) = (0, 0);
	for my $l (@$lines) {
		$off = 1 if $l =~ /cite\.sh: off/;
		$off = 0 if $l =~ /cite\.sh: on/;
		my $f = $file =~ /\.md$/ && $l =~ /^\s*```/;
		push @skip, $off || $fence || $f;
		$fence = !$fence if $f;
	}
	return @skip;
}

# A Markdown line without its code spans: `...` is an example, not a citation.
sub uncode { my ($file, $l) = @_; $l =~ s/`[^`]*`/ /g if $file =~ /\.md$/; return $l; }

sub scan_file {
	my ($file) = @_;
	open my $f, '<', $file or return;
	my @lines = <$f>;
	close $f;
	return if !@lines || grep { /\0/ } $lines[0];
	my $doc = header_doc($file, \@lines);
	my @skip = skipped($file, \@lines);
	for my $i (0 .. $#lines) {
		next if $skip[$i];
		my $l = uncode($file, $lines[$i]);
		scan_named($file, $i + 1, $l);
		scan_man($file, $i + 1, $l);
		if (inline($file)) {
			undef $doc if paragraph_break($file, $l);
			($doc) = (named_docs($l))[-1] // $doc;
		}
		scan_bare($file, $i + 1, $l, $doc);
	}
}

# ------------------------------------------------------------------ --fix
# The document a bare number most likely means: the last one named before it in the
# file, else by folder (lib/fx and the fx tools are the FastTransfer codec's), else the
# Graph API. In a man page or Markdown file the first bare number of a paragraph that
# names no document gets the name in place ("(8.10)" becomes "(graph-api.md 8.10)");
# elsewhere the header comment gets a line naming it.
sub fix_bare {
	my ($file, $lines, $skip) = @_;
	return 0 if $file =~ m{^docs/} || (!inline($file) && header_doc($file, $lines));
	my ($last, $note, $pdoc);
	my $fallback = $file =~ m{^lib/fx/|(^|/)[^/]*fx[^/]*$} ? 'fasttransfer.md' : 'graph-api.md';
	for my $i (0 .. $#$lines) {
		next if $skip->[$i];
		my $l = \$lines->[$i];
		my $doc = $last // $fallback;
		if (inline($file)) {
			undef $pdoc if paragraph_break($file, $$l);
			($pdoc) = (named_docs(uncode($file, $$l)))[-1] // $pdoc;
			my ($first) = bare_lists(uncode($file, $$l));
			if (!$pdoc && defined $first) {
				$$l =~ s/\(\s*\Q$first\E/($doc $first/;
				$pdoc = "docs/$doc";
			}
		} elsif (bare_lists($$l)) {
			$note //= $doc;
		}
		while ($$l =~ /$DOC/g) {
			my ($path) = docpath('', $2);
			$last = $2 if $path && $path =~ m{^docs/};
		}
	}
	return unless $note;
	my $line = "Bare section numbers are those of docs/$note.";
	if ($lines->[0] =~ m{^\s*/\*}) {
		for my $l (@$lines) {
			next unless $l =~ m{\*/};
			$l =~ s{\s*\*/}{\n * $line */};
			last;
		}
	} else {
		my $i = $lines->[0] =~ /^#!/ ? 1 : 0;
		$i++ while $i < @$lines && $lines->[$i] =~ /^#/;
		splice @$lines, $i, 0, "# $line\n";
	}
}

# The design document's sections, by what now says it in the tree.
my %design = (1 => 'DESIGN-NOTES.md', 2 => 'mbx(7)', 3 => 'mbx(7) RECORD FORMAT',
	      4 => 'mbx-frames(5)', 5 => 'mbx(7) RETRIES', 6 => 'mbx-graphd(1)',
	      7 => 'DESIGN-NOTES.md', 8 => 'tests/lint.sh');

sub fix_file {
	my ($file) = @_;
	open my $f, '<', $file or return;
	my @lines = <$f>;
	close $f;
	return if !@lines || grep { /\0/ } $lines[0];
	my $old = join '', @lines;
	my @skip = skipped($file, \@lines);
	for my $i (0 .. $#lines) {
		next if $skip[$i];
		my @parts = $file =~ /\.md$/ ? split /(`[^`]*`)/, $lines[$i] : ($lines[$i]);
		for (@parts) {
			fix_text($file) unless /^`/;
		}
		$lines[$i] = join '', @parts;
	}
	fix_bare($file, \@lines, \@skip);
	my $new = join '', @lines;
	return if $new eq $old;
	open my $o, '>', "$file.cite$$" or die "cite.sh: cannot write $file: $!\n";
	print $o $new;
	close $o or die "cite.sh: cannot write $file: $!\n";
	chmod((stat $file)[2] & 07777, "$file.cite$$") or die "cite.sh: cannot chmod $file: $!\n";
	rename "$file.cite$$", $file or die "cite.sh: cannot replace $file: $!\n";
	print STDERR "cite.sh: fixed $file\n";
}

# The rewrites of one piece of text ($_), outside code.
sub fix_text {
	my ($file) = @_;
	s{(?<![\w/.-])(?:$SHARED)docs/([A-Za-z][\w-]*\.md)}{docs/$1}g;
	# citations that named a section that is not there
	s{\bmbx\(7\) RECORDS\b}{mbx(7) RECORD FORMAT}g;
	s{\b12\.3\.6: named ids}{12.6: named ids}g;
	return if $file eq 'DESIGN-NOTES.md';
	s{(Folder paths|Mailbox resolution) \(DESIGN 2\)}{$1 (mbx(7))}g;
	s{ engine \(DESIGN 5\)}{ engine}g;
	s{ \(see DESIGN(?:\.md)? 8\)}{}g;
	s{\(DESIGN(?:\.md)? 8\)}{(tests/lint.sh)}g if $file ne 'tests/lint.sh';
	s{ \(DESIGN(?:\.md)? 8\)}{}g;
	s{\bDESIGN(?:\.md)?\s+(\d)[a-z]?\b}{$design{$1} // $&}ge;
}

if ($mode eq 'fix') {
	fix_file($_) for grep { $_ ne 'tests/cite.sh' } @ARGV;
	exit 0;
}
scan_file($_) for grep { $_ ne 'tests/cite.sh' } @ARGV;
exit($bad ? 1 : 0);
PERL
)
# shellcheck disable=SC2086
if [ "$mode" = fix ]; then
	MODE=fix perl -e "$prog" $files || exit 70
	mode=check
fi
# shellcheck disable=SC2086
MODE=$mode exec perl -e "$prog" $files
