// The console of an exec with a terminal: a small perl process (perl-base only) per such exec, in place of
// the runtime running in the foreground under util-linux `script`, whose terminal could not be resized.
// It runs `<runtime> … exec -d --console-socket <name> --pid-file <file> …` from <dir>, receives the pty
// master (console-holder.ts), copies its stdin into the master and the master into its stdout, and sets the
// window size for each `<rows> <columns>` line read on fd 3. It is a child subreaper, so the exec'd process,
// orphaned once the detached runtime exits, becomes its child: it exits with that process's exit status
// (128 + the signal that killed it), or with the runtime's when the runtime fails.
// Usage: perl -e SCRIPT <dir> <socket name> <pid file> <runtime> <runtime arguments…>
// Exit status 3: no system call numbers for this architecture, or no subreaper here.
import { CONSOLE_HOLDER, PERL_SYSCALLS } from './console-holder.js';

export const EXEC_CONSOLE_SCRIPT = String.raw`
use strict;
use warnings;
use constant { O_RDONLY => 0, O_NONBLOCK => 04000, F_SETFL => 4, AF_UNIX => 1, SOCK_STREAM => 1, WNOHANG => 1,
  PR_SET_CHILD_SUBREAPER => 36, DRAIN_AFTER_EXIT => 2 };
my ($dir, $name, $pidfile, @runtime) = @ARGV;
die "usage: exec-console <dir> <socket name> <pid file> <runtime> <arguments>\n" unless @runtime;
sub complain { print STDERR "tscompose exec console: @_\n" }
${PERL_SYSCALLS}
if (!$sys) { complain("no system call numbers known for this architecture (ELF machine $machine)"); exit 3 }
if (syscall($sys->{prctl}, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) { complain("prctl(PR_SET_CHILD_SUBREAPER): $!"); exit 3 }
${CONSOLE_HOLDER}
$SIG{PIPE} = 'IGNORE';
$SIG{HUP} = 'IGNORE';
pipe(my $wake_r, my $wake_w) or die "pipe: $!\n";
fcntl($_, F_SETFL, O_NONBLOCK) or die "fcntl: $!\n" for $wake_r, $wake_w;
$SIG{CHLD} = sub { syswrite($wake_w, 'x') };

my $listen = console_listen($dir, $name) or die "tscompose exec console: console socket: $!\n";
my $control;
open($control, '<&=', 3) or undef $control;
my $runtime_pid = fork // die "fork: $!\n";
if ($runtime_pid == 0) {
  $SIG{$_} = 'DEFAULT' for qw(PIPE HUP CHLD);
  chdir($dir) or exit 127;
  close $control if $control;
  # the runtime's errors are in its log, where the engine reads them
  sysopen(STDIN, '/dev/null', O_RDONLY) or exit 127;
  open(STDOUT, '>', '/dev/null') or exit 127;
  open(STDERR, '>', '/dev/null') or exit 127;
  exec { $runtime[0] } @runtime or exit 127;
}
set_nonblocking($_) for grep { $_ } \*STDIN, \*STDOUT, $control;

my ($conn, $master, $output, $input, $window, $target, $status, $ended_at, %early);
my $control_buf = '';
sub code_of { my ($st) = @_; return ($st & 0x7f) == 0 ? $st >> 8 : 128 + ($st & 0x7f) }
sub finish {
  unlink "$dir/$name";
  exit code_of($status);
}

sub reap {
  while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
    my $st = $?;
    if ($pid == $runtime_pid) {
      $runtime_pid = 0;
      # the runtime failed to start the process: its status is the exec's
      if ($st != 0) { ($status, $ended_at) = ($st, time); next }
      my $text = '';
      if (open(my $fh, '<', $pidfile)) { $text = <$fh> // ''; close $fh }
      if ($text =~ /\A\s*(\d+)\s*\z/) { $target = $1 } else { ($status, $ended_at) = (255 << 8, time); next }
      if (exists $early{$target}) { ($status, $ended_at) = ($early{$target}, time) }
    }
    elsif (defined $target && $pid == $target) { ($status, $ended_at) = ($st, time) }
    else { $early{$pid} = $st }
  }
}

while (1) {
  reap();
  # the process ended: once its terminal's output is all out (the master reads EIO when no one holds the
  # terminal any more; a process it left behind may, for a moment only)
  finish() if defined $status && (!$output || pump_done($output) || time - $ended_at >= DRAIN_AFTER_EXIT);
  my ($rin, $win) = ('', '');
  vec($rin, fileno($wake_r), 1) = 1;
  vec($rin, fileno($_), 1) = 1 for grep { $_ } $listen, $conn, $control;
  pump_select($_, \$rin, \$win) for grep { $_ } $output, $input;
  my $n = select(my $rout = $rin, my $wout = $win, undef, defined $status ? 0.1 : 1);
  next unless $n && $n > 0;
  if (vec($rout, fileno($wake_r), 1)) { 1 while sysread($wake_r, my $drain, 4096) }
  if ($listen && vec($rout, fileno($listen), 1) && accept($conn, $listen)) { close $listen; undef $listen; unlink "$dir/$name" }
  if ($conn && vec($rout, fileno($conn), 1)) {
    $master = console_receive($conn);
    close $conn;
    undef $conn;
    if ($master) {
      set_window($master, @$window) if $window;
      $output = new_pump($master, \*STDOUT);
      # as Docker: the end of the client's input does not end a terminal's (nothing is written for it)
      $input = new_pump(\*STDIN, $master);
    }
  }
  if ($control && vec($rout, fileno($control), 1)) {
    my $got = sysread($control, $control_buf, 4096, length $control_buf);
    if (defined $got && $got == 0) { close $control; undef $control }
    while ($control_buf =~ s/\A(\d{1,5}) (\d{1,5})\n//) {
      next unless $1 < 65536 && $2 < 65536;
      $window = [$1, $2];
      set_window($master, @$window) if $master;
    }
    $control_buf = '' if length $control_buf > 64;
  }
  pump_run($_, $rout, $wout) for grep { $_ } $output, $input;
}
`;
