// The console of an exec: a small perl process (perl-base only) per running exec, between the engine and
// the runtime, which keeps the exec alive and its exit known when the engine goes away, as containerd's shim
// does for Docker (the runtime in the foreground, as before, tied the exec's stdio to the engine's pipes, and
// only the engine heard its exit; a terminal under util-linux `script` could not be resized).
// The engine starts a console ahead of need (exec-console-spare.ts): perl's start-up is then not on an
// exec's path. The console waits for its job, one line on fd 3: the exec's id, 0 or 1 for a terminal, and
// the runtime's argv, each as x and its bytes in hex, separated by spaces (an engine gone before the job:
// it exits 0).
// It then runs `<runtime> … exec -d --pid-file <dir>/exec-<id>.pid …` from <dir> and is a child subreaper,
// so the exec'd process, orphaned once the detached runtime exits, becomes its child. It copies its own
// stdin, stdout and stderr to and from the process: through pipes, or with a terminal through the pty master
// the runtime passes over `--console-socket exec-<id>.sock` (console-holder.ts), whose window it sets for
// each `<rows> <columns>` line read on fd 3 after the job. When the engine is gone, the output is dropped
// and the process runs on. At the end it writes the exit status (128 + the signal that killed the process,
// or the runtime's own when the runtime failed) to <dir>/exec-<id>.exit and exits with it.
// Usage: perl -e SCRIPT <dir>, the job on fd 3
// Exit status 3: no system call numbers for this architecture, or no subreaper here; 2: no job channel or
// a malformed job.
import { CONSOLE_HOLDER, PERL_SYSCALLS } from './console-holder.js';

export const EXEC_CONSOLE_SCRIPT = String.raw`
use strict;
use warnings;
use constant { O_RDONLY => 0, O_NONBLOCK => 04000, F_SETFL => 4, AF_UNIX => 1, SOCK_STREAM => 1, WNOHANG => 1,
  PR_SET_CHILD_SUBREAPER => 36, DRAIN_AFTER_EXIT => 2 };
my ($dir) = @ARGV;
sub complain { print STDERR "tscompose exec console: @_\n" }
my $control;
if (!defined $dir || !open($control, '<&=', 3)) { complain('usage: exec-console <dir>, the job on fd 3'); exit 2 }
$0 = 'tscompose-exec-console spare';
${PERL_SYSCALLS}
if (!$sys) { complain("no system call numbers known for this architecture (ELF machine $machine)"); exit 3 }
if (syscall($sys->{prctl}, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) { complain("prctl(PR_SET_CHILD_SUBREAPER): $!"); exit 3 }
${CONSOLE_HOLDER}
$SIG{PIPE} = 'IGNORE';
$SIG{HUP} = 'IGNORE';
pipe(my $wake_r, my $wake_w) or die "pipe: $!\n";
fcntl($_, F_SETFL, O_NONBLOCK) or die "fcntl: $!\n" for $wake_r, $wake_w;
$SIG{CHLD} = sub { syswrite($wake_w, 'x') };

# the job; what follows it on fd 3 is window sizes (a resize may come before the terminal is there)
my $control_buf = '';
while ($control_buf !~ /\n/) {
  my $got = sysread($control, $control_buf, 4096, length $control_buf);
  next if !defined $got && $!{EINTR};
  exit 0 unless $got;
  if (length $control_buf > 65536) { complain('job line too long'); exit 2 }
}
$control_buf =~ s/\A([^\n]*)\n//;
my @words = split / /, $1;
if (grep { !/\Ax(?:[0-9a-f]{2})*\z/ } @words) { complain('malformed job'); exit 2 }
my ($id, $tty, @runtime) = map { pack('H*', substr($_, 1)) } @words;
if (!@runtime || $id !~ /\A[0-9a-f]{64}\z/ || $tty !~ /\A[01]\z/) { complain('malformed job'); exit 2 }
$0 = "tscompose-exec-console $id";

my ($name, $pidfile, $exitfile) = ("exec-$id.sock", "$dir/exec-$id.pid", "$dir/exec-$id.exit");
my ($listen, @io);
if ($tty) { $listen = console_listen($dir, $name) or die "tscompose exec console: console socket: $!\n" }
else { for (1 .. 3) { pipe(my $r, my $w) or die "pipe: $!\n"; push @io, [$r, $w] } }
my $runtime_pid = fork // die "fork: $!\n";
if ($runtime_pid == 0) {
  $SIG{$_} = 'DEFAULT' for qw(PIPE HUP CHLD);
  chdir($dir) or exit 127;
  close $control if $control;
  # without a terminal, the process's stdio is the runtime's: the pipes; with one, the runtime's errors
  # are in its log, where the engine reads them
  if (@io) {
    open(STDIN, '<&', $io[0][0]) or exit 127;
    open(STDOUT, '>&', $io[1][1]) or exit 127;
    open(STDERR, '>&', $io[2][1]) or exit 127;
  } else {
    sysopen(STDIN, '/dev/null', O_RDONLY) or exit 127;
    open(STDOUT, '>', '/dev/null') or exit 127;
    open(STDERR, '>', '/dev/null') or exit 127;
  }
  exec { $runtime[0] } @runtime or exit 127;
}
set_nonblocking($_) for grep { $_ } \*STDIN, \*STDOUT, \*STDERR, $control;
my ($conn, $master, @pumps, @outputs, $window, $target, $status, $ended_at, $runtime_failed, %early);
if (@io) {
  close $io[0][0];
  close $io[$_][1] for 1, 2;
  set_nonblocking($_) for $io[0][1], $io[1][0], $io[2][0];
  # the end of the engine's input is the end of the process's
  my $input = new_pump(\*STDIN, $io[0][1]);
  $input->{close_at_end} = 1;
  @outputs = (new_pump($io[1][0], \*STDOUT), new_pump($io[2][0], \*STDERR));
  @pumps = ($input, @outputs);
}
sub code_of { my ($st) = @_; return ($st & 0x7f) == 0 ? $st >> 8 : 128 + ($st & 0x7f) }

sub take_windows {
  while ($control_buf =~ s/\A(\d{1,5}) (\d{1,5})\n//) {
    next unless $1 < 65536 && $2 < 65536;
    $window = [$1, $2];
    set_window($master, @$window) if $master;
  }
  $control_buf = '' if length $control_buf > 64;
}
take_windows();

sub finish {
  unlink "$dir/$name";
  my $code = code_of($status);
  if (open(my $fh, '>', "$exitfile.tmp")) { print $fh "$code\n"; close $fh; rename("$exitfile.tmp", $exitfile) }
  exit $code;
}

sub reap {
  while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
    my $st = $?;
    if ($pid == $runtime_pid) {
      $runtime_pid = 0;
      # the runtime failed to start the process: its status is the exec's
      if ($st != 0) { ($status, $ended_at, $runtime_failed) = ($st, time, 1); next }
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
  # the process ended: once its output is all out (a pipe or the pty master reads its end when no process
  # holds the other side any more; one the process left behind may, for a moment only), and with a terminal
  # once the runtime's console is taken (it was sent before the runtime exited, the process may be quicker)
  my $console_taken = !($listen || $conn) || $runtime_failed;
  finish() if defined $status && $console_taken && (!(grep { !pump_done($_) } @outputs) || time - $ended_at >= DRAIN_AFTER_EXIT);
  my ($rin, $win) = ('', '');
  vec($rin, fileno($wake_r), 1) = 1;
  vec($rin, fileno($_), 1) = 1 for grep { $_ } $listen, $conn, $control;
  pump_select($_, \$rin, \$win) for @pumps;
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
      @outputs = (new_pump($master, \*STDOUT));
      # as Docker: the end of the client's input does not end a terminal's (nothing is written for it)
      @pumps = (new_pump(\*STDIN, $master), @outputs);
    }
  }
  if ($control && vec($rout, fileno($control), 1)) {
    my $got = sysread($control, $control_buf, 4096, length $control_buf);
    if (defined $got && $got == 0) { close $control; undef $control }
    take_windows();
  }
  pump_run($_, $rout, $wout) for @pumps;
}
`;
