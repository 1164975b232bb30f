#!/usr/bin/perl
# The demo's protected page: shows what mod_pkce_auth hands to a CGI after
# login, that is REMOTE_USER, AUTH_TYPE and the OIDC_CLAIM_* environment
# variables, as an HTML page with every value escaped.
use strict;
use warnings;

my $prefix = 'OIDC_CLAIM_';

sub escape_html {
    my ($text) = @_;
    $text = '' unless defined $text;
    $text =~ s/&/&amp;/g;
    $text =~ s/</&lt;/g;
    $text =~ s/>/&gt;/g;
    $text =~ s/"/&quot;/g;
    $text =~ s/'/&#39;/g;
    return $text;
}

sub row {
    my ($name, $value) = @_;
    # The module joins array claims with commas. Long lists wrap only after
    # a comma, so that no item is split at its hyphens.
    my $html = escape_html($value);
    if ($html =~ /,/) {
        $html = join ',<wbr>', map { qq{<span class="item">$_</span>} } split /,/, $html, -1;
    }
    my $shown = defined $value && $value ne ''
        ? "<td>$html</td>"
        : '<td class="none">(not set)</td>';
    return '<tr><th scope="row"><code>' . escape_html($name) . "</code></th>$shown</tr>\n";
}

my $user = $ENV{REMOTE_USER};
my @claims = sort grep { index($_, $prefix) == 0 } keys %ENV;
my $claim_rows = join '', map { row($_, $ENV{$_}) } @claims;
$claim_rows = qq{<tr><td colspan="2" class="none">No $prefix variables arrived.</td></tr>\n}
    if $claim_rows eq '';

print "Content-Type: text/html; charset=utf-8\r\n";
print "Cache-Control: no-store\r\n\r\n";
print <<"HTML";
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Who you are - mod_pkce_auth demo</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 0; background: #f4f6f8; color: #1d2733; }
  header { background: #1f4e79; color: #fff; padding: 1.2rem 2rem; }
  header h1 { margin: 0; font-size: 1.5rem; }
  header p { margin: .3rem 0 0; opacity: .85; }
  main { max-width: 60rem; margin: 1.5rem auto; padding: 0 1.5rem; }
  section { background: #fff; border: 1px solid #d8dee4; border-radius: 6px; padding: 1rem 1.4rem; margin-bottom: 1.2rem; }
  h2 { font-size: 1.1rem; margin: .2rem 0 .8rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; vertical-align: baseline; padding: .45rem .6rem; border-top: 1px solid #eef1f4; }
  th { width: 1%; white-space: nowrap; padding-right: 2.5rem; font-weight: normal; }
  td { overflow-wrap: anywhere; }
  .item { white-space: nowrap; }
  td, th code { font-family: ui-monospace, monospace; font-size: .9rem; }
  .none { color: #6a737d; font-style: italic; font-family: system-ui, sans-serif; }
  .note { color: #444d56; font-size: .95rem; }
  a { color: #1f4e79; }
</style>
</head>
<body>
<header>
  <h1>Signed in as ${\ escape_html($user // '(nobody)')}</h1>
  <p>This page is a CGI behind <code>AuthType pkce</code>. Everything below comes from its environment.</p>
</header>
<main>
<section>
  <h2>Identity</h2>
  <table>
${\ row('REMOTE_USER', $user)}${\ row('AUTH_TYPE', $ENV{AUTH_TYPE})}  </table>
</section>
<section>
  <h2>ID token claims</h2>
  <table>
$claim_rows  </table>
</section>
<section>
  <h2>Cookies the application receives</h2>
  <table>
${\ row('HTTP_COOKIE', $ENV{HTTP_COOKIE})}  </table>
  <p class="note">The module removes its own cookies (<code>pkce_session</code>, its
  chunks <code>pkce_session_N</code> and <code>pkce_state_*</code>) from the request
  before the application sees it.</p>
</section>
<p class="note">Logout is not built yet. To sign in as another user, open a private
window or delete the <code>pkce_session</code> cookie of localhost.
<a href="/">Back to the start page</a>.</p>
</main>
</body>
</html>
HTML
