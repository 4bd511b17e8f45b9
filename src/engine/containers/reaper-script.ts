// The reaper: the one process of a state root that outlives everything else, written in Perl using only
// perl-base (Essential on Debian and Ubuntu) because node cannot call prctl(PR_SET_CHILD_SUBREAPER) nor
// waitpid(-1) for processes it did not spawn.
// - It becomes a child subreaper, then runs the node supervisor as its child, restarting it if it dies.
// - For each container it makes the stdio FIFOs (<dir>/stdout.pipe, stderr.pipe, stdin.pipe), holds
//   each one open read-write (so output waits in the pipe while no supervisor reads it, and nothing is
//   lost when the supervisor is killed), and forks `<runtime> run -d`: the runtime exits once the
//   container runs, and the container's process, orphaned, is re-parented to the reaper, which collects
//   its exit status, writes exit.json and tells the supervisor. A terminal container keeps the runtime in
//   the foreground under util-linux `script` (a detached terminal would need the pty master passed over
//   --console-socket with SCM_RIGHTS).
// - Its channel is a socketpair inherited by the supervisor as fd 3, nothing anyone else can reach; a
//   request names only a container id, every path derives from the state root given at start.
// Protocol, one line each way. supervisor → reaper: `run <id> <stdin 0|1> <tty 0|1>`, `release <id>`
// (the supervisor has read the exit and holds the read ends: drop the container), `stdin-close <id>`,
// `resize <id> <rows> <columns>` (a terminal container's window), `list`. reaper → supervisor: `spawned <id> <runtime pid>`, `failed <id> <why>`,
// `exit <id> <code> <runtime 0|1>` (1: the runtime's own exit status, e.g. it could not start the
// container), and for `list`: `state <id> running` or `state <id> exit <code> <runtime>` lines, then `listed`.
// Exit status 3: this host cannot have a subreaper here (architecture, prctl); the engine then runs
// containers with the runtime in the foreground. Exit status 0 at start: another reaper holds the state
// root's lock and serves it.
// No module is loaded (POSIX and Socket alone would add 2.5 MB resident): the few system calls perl has no
// built-in for go through syscall() with their numbers per architecture, and the constants are Linux's,
// the same on every architecture listed.
import { CONSOLE_HOLDER, PERL_SYSCALLS } from './console-holder.js';

export const REAPER_SCRIPT = String.raw`
use strict;
use warnings;
use constant { O_RDONLY => 0, O_WRONLY => 1, O_RDWR => 2, O_NONBLOCK => 04000, LOCK_EX => 2, LOCK_NB => 4, F_SETFD => 2, F_SETFL => 4,
  AF_UNIX => 1, SOCK_STREAM => 1, WNOHANG => 1, S_IFIFO => 0010000, AT_FDCWD => -100, PR_SET_CHILD_SUBREAPER => 36 };

my ($root, $runtime, $lockfile, $sep, @supervisor) = @ARGV;
die "usage: reaper.pl <state root> <runtime> <lock file> -- <supervisor command>\n"
  unless defined $sep && $sep eq '--' && @supervisor;
my $ID = qr/\A[0-9a-f]{64}\z/;
sub complain { print STDERR "tscompose reaper: @_\n" }

open(my $lock, '>>', $lockfile) or die "tscompose reaper: $lockfile: $!\n";
exit 0 unless flock($lock, LOCK_EX | LOCK_NB);

${PERL_SYSCALLS}
if (!$sys) { complain("no system call numbers known for this architecture (ELF machine $machine)"); exit 3 }
${CONSOLE_HOLDER}
if (syscall($sys->{prctl}, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) { complain("prctl(PR_SET_CHILD_SUBREAPER): $!"); exit 3 }

# the wall clock (CLOCK_REALTIME) as seconds and nanoseconds: perl's time() has whole seconds only
sub now {
  my $ts = pack('q2', 0, 0);
  syscall($sys->{clock_gettime}, 0, $ts) == 0 or return (time, 0);
  return unpack('q2', $ts);
}

# TSCOMPOSE_ENGINE_TRACE (trace.ts): the reaper's moments, wall-clock ms, in the engine's trace file
my $trace_file = $ENV{TSCOMPOSE_ENGINE_TRACE};
sub trace {
  my ($id, $event) = @_;
  return unless $trace_file;
  my ($s, $ns) = now();
  open(my $fh, '>>', $trace_file) or return;
  printf $fh "reaper %s %s at=%.2f\n", substr($id, 0, 12), $event, $s * 1000 + $ns / 1e6;
  close $fh;
}

$SIG{PIPE} = 'IGNORE';
$SIG{HUP} = 'IGNORE';
# A child's end wakes the loop through a pipe (perl runs signal handlers between its own operations, so a
# SIGCHLD that came just before select() would otherwise wait for the next wake-up).
pipe(my $wake_r, my $wake_w) or die "pipe: $!\n";
fcntl($_, F_SETFL, O_NONBLOCK) or die "fcntl: $!\n" for $wake_r, $wake_w;
$SIG{CHLD} = sub { syswrite($wake_w, 'x') };

my %ctr;    # id => { fds => { name => handle }, tty => 0|1, pid => the container's process, exit => [code, runtime] }
my %child;  # pid of a runtime process forked here => id
my %init;   # pid of a container's process => id
my %orphan; # pid => [wait status, time]: reaped before its runtime said whose it was
my ($sup_pid, $sup_started, $chan, $inbuf, $restart_at) = (undef, 0, undef, '', 0);

sub send_line {
  my ($line) = @_;
  return unless $chan;
  my $buf = "$line\n";
  while (length $buf) {
    my $n = syswrite($chan, $buf);
    if (!defined $n) { next if $!{EINTR}; return }
    substr($buf, 0, $n) = '';
  }
}

sub start_supervisor {
  socketpair(my $mine, my $theirs, AF_UNIX, SOCK_STREAM, 0) or die "socketpair: $!\n";
  my $pid = fork;
  if (!defined $pid) { complain("fork: $!"); $restart_at = time + 1; return }
  if ($pid == 0) {
    $SIG{$_} = 'DEFAULT' for qw(PIPE HUP CHLD);
    # the channel becomes fd 3 of the supervisor (the lowest free one once the lock's copy is closed; the
    # lock stays held by the reaper's), without close-on-exec, which perl sets on its own fds
    close $lock;
    if (fileno($theirs) != 3) { open(my $fd3, '+<&', $theirs) or exit 127; fileno($fd3) == 3 or exit 127; $theirs = $fd3 }
    fcntl($theirs, F_SETFD, 0) or exit 127;
    exec { $supervisor[0] } @supervisor or exit 127;
  }
  close $theirs;
  ($sup_pid, $sup_started, $chan, $inbuf) = ($pid, time, $mine, '');
}

# a wait status as Docker reports it: the exit code, or 128 + the signal that killed the process
sub code_of {
  my ($st) = @_;
  return ($st & 0x7f) == 0 ? $st >> 8 : 128 + ($st & 0x7f);
}

sub write_exit {
  my ($id, $code) = @_;
  my $file = "$root/containers/$id/exit.json";
  my ($s, $ns) = now();
  my @t = gmtime($s);
  my $time = sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0], int($ns / 1e6));
  open(my $fh, '>', "$file.reaper") or return complain("$file: $!");
  print $fh qq({"exitCode":$code,"finishedAt":"$time"});
  close $fh;
  rename("$file.reaper", $file) or complain("$file: $!");
}

sub container_ended {
  my ($id, $code, $runtime) = @_;
  my $c = $ctr{$id} or return;
  return if $c->{exit};
  delete $init{$c->{pid}} if $c->{pid};
  $c->{exit} = [$code, $runtime];
  trace($id, 'reaped');
  write_exit($id, $code); # recorded even if no supervisor hears it
  send_line("exit $id $code $runtime");
  trace($id, 'exit-sent');
}

# The runtime forked for a container ended: it started the container (its pid file says which process
# that is) or failed to.
sub runtime_ended {
  my ($id, $st) = @_;
  my $c = $ctr{$id} or return;
  trace($id, 'runtime-ended');
  return container_ended($id, code_of($st), 1) if code_of($st) != 0;
  my $pid;
  if (open(my $fh, '<', "$root/containers/$id/pid")) { $pid = <$fh>; close $fh }
  return container_ended($id, 255, 1) unless defined $pid && $pid =~ /\A\s*(\d+)\s*\z/;
  $c->{pid} = $1;
  if (my $early = delete $orphan{$1}) { container_ended($id, code_of($early->[0]), 0) }
  else { $init{$1} = $id }
}

sub supervisor_ended {
  my ($st) = @_;
  ($sup_pid, $chan) = (undef, undef);
  my $clean = $st == 0;
  exit 0 if $clean && !%ctr; # idle: nothing to keep
  if (!%ctr) { complain('the supervisor failed with no container running; exiting'); exit 1 }
  complain('the supervisor ended (status ' . code_of($st) . ') while containers run: starting it again');
  $restart_at = time() - $sup_started < 2 ? time() + 1 : 0;
}

sub reap {
  while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
    my $st = $?;
    if (defined $sup_pid && $pid == $sup_pid) { supervisor_ended($st) }
    elsif (defined(my $id = delete $child{$pid})) { runtime_ended($id, $st) }
    elsif (defined($id = delete $init{$pid})) { container_ended($id, code_of($st), 0) }
    else { $orphan{$pid} = [$st, time] }
  }
  my $now = time;
  for (keys %orphan) { delete $orphan{$_} if $now - $orphan{$_}[1] > 60 }
}

# A terminal container's console: the socket the runtime connects to, then the connection it sends the
# master over, then the master with two pumps (its output into the stdout FIFO, the stdin FIFO into it).
sub console_select {
  my ($con, $rin, $win) = @_;
  for my $h (grep { $_ } @$con{qw(listen conn)}) { vec($$rin, fileno($h), 1) = 1 }
  pump_select($_, $rin, $win) for grep { $_ } @$con{qw(output input)};
}

sub console_run {
  my ($id, $c, $rout, $wout) = @_;
  my $con = $c->{con};
  if ($con->{listen} && vec($rout, fileno($con->{listen}), 1)) {
    if (accept(my $conn, $con->{listen})) { $con->{conn} = $conn; close(delete $con->{listen}); unlink $con->{socket} }
  }
  if ($con->{conn} && vec($rout, fileno($con->{conn}), 1)) {
    my $master = console_receive($con->{conn});
    close(delete $con->{conn});
    return complain("$id: no console received from the runtime") unless $master;
    $con->{master} = $master;
    set_window($master, @{ delete $con->{window} }) if $con->{window};
    $con->{output} = new_pump($master, $c->{fds}{stdout});
    $con->{input} = new_pump($c->{fds}{stdin}, $master) if $c->{fds}{stdin};
  }
  pump_run($_, $rout, $wout) for grep { $_ } @$con{qw(output input)};
  release($id) if $c->{releasing};
}

# Drops an ended container once its terminal's output is all in the FIFO: closing our ends then lets the
# supervisor, which holds the read ends, read to the end.
sub release {
  my ($id) = @_;
  my $c = $ctr{$id};
  return unless $c && $c->{exit};
  my $con = $c->{con};
  if ($con && $con->{output} && !pump_done($con->{output})) { $c->{releasing} = 1; return }
  if ($con) { close($_) for grep { $_ } @$con{qw(listen conn master)}; unlink $con->{socket} }
  close($_) for values %{ $c->{fds} };
  delete $ctr{$id};
}

sub run_container {
  my ($id, $stdin, $tty) = @_;
  return send_line("failed $id the container is already running") if $ctr{$id};
  trace($id, 'run');
  my $dir = "$root/containers/$id";
  my %fds;
  for my $name ('stdout', 'stderr', $stdin ? ('stdin') : ()) {
    my $path = "$dir/$name.pipe";
    unlink $path;
    syscall($sys->{mknodat}, AT_FDCWD, $path, S_IFIFO | 0600, 0) == 0 or return send_line("failed $id mkfifo $path: $!");
    sysopen(my $fh, $path, O_RDWR) or return send_line("failed $id $path: $!");
    $fds{$name} = $fh;
  }
  my $con;
  if ($tty) {
    # the runtime runs from the bundle (it changes to it anyway), where the socket's relative name resolves
    my $listen = console_listen("$dir/bundle", 'console.sock') or return send_line("failed $id console socket: $!");
    set_nonblocking($_) for grep { $_ } @fds{qw(stdout stdin)};
    $con = { listen => $listen, socket => "$dir/bundle/console.sock" };
  }
  my @cmd = ($runtime, '--root', "$root/runc", '--log', "$dir/runc.log", '--log-format', 'json',
    'run', '-d', $tty ? ('--console-socket', 'console.sock') : (), '--pid-file', "$dir/pid", '--bundle', "$dir/bundle", $id);
  my $pid = fork;
  return send_line("failed $id fork: $!") unless defined $pid;
  if ($pid == 0) {
    $SIG{$_} = 'DEFAULT' for qw(PIPE HUP CHLD);
    syscall($sys->{setsid});
    chdir("$dir/bundle") or exit 127;
    # reopening STDIN, STDOUT and STDERR keeps their fds 0, 1 and 2; a terminal's input goes through the master
    sysopen(STDIN, $stdin && !$tty ? "$dir/stdin.pipe" : '/dev/null', O_RDONLY) or exit 127;
    sysopen(STDOUT, "$dir/stdout.pipe", O_WRONLY) or exit 127;
    sysopen(STDERR, "$dir/stderr.pipe", O_WRONLY) or exit 127;
    exec { $cmd[0] } @cmd or exit 127;
  }
  $ctr{$id} = { fds => \%fds, tty => $tty ? 1 : 0, $con ? (con => $con) : () };
  $child{$pid} = $id;
  send_line("spawned $id $pid");
  trace($id, 'spawned');
}

sub command {
  my ($op, $id, @args) = split / /, $_[0];
  $op //= '';
  if ($op eq 'list') {
    for my $id (sort keys %ctr) {
      my $e = $ctr{$id}{exit};
      send_line($e ? "state $id exit $e->[0] $e->[1]" : "state $id running");
    }
    return send_line('listed');
  }
  return complain("ignored a request: $_[0]") unless defined $id && $id =~ $ID;
  if ($op eq 'run') { run_container($id, ($args[0] // '') eq '1', ($args[1] // '') eq '1') }
  elsif ($op eq 'release') { release($id) }
  elsif ($op eq 'stdin-close') {
    # as Docker: a terminal's input is not closed (its process would read no end of file from it anyway)
    my $c = $ctr{$id};
    if ($c && !$c->{tty}) { my $fh = delete $c->{fds}{stdin}; close $fh if $fh }
  }
  elsif ($op eq 'resize') {
    my ($rows, $cols) = map { /\A\d{1,5}\z/ && $_ < 65536 ? $_ : undef } @args[0, 1];
    my $con = $ctr{$id} && $ctr{$id}{con};
    return unless $con && defined $rows && defined $cols;
    if ($con->{master}) { set_window($con->{master}, $rows, $cols) } else { $con->{window} = [$rows, $cols] }
  }
  else { complain("ignored a request: $_[0]") }
}

start_supervisor();
while (1) {
  reap();
  start_supervisor() if !$sup_pid && time >= $restart_at;
  my ($rin, $win) = ('', '');
  vec($rin, fileno($wake_r), 1) = 1;
  vec($rin, fileno($chan), 1) = 1 if $chan;
  my @consoles = grep { $ctr{$_}{con} } keys %ctr;
  console_select($ctr{$_}{con}, \$rin, \$win) for @consoles;
  my $n = select(my $rout = $rin, my $wout = $win, undef, 1);
  next unless $n && $n > 0;
  if (vec($rout, fileno($wake_r), 1)) { 1 while sysread($wake_r, my $drain, 4096) }
  for my $id (@consoles) { console_run($id, $ctr{$id}, $rout, $wout) if $ctr{$id} }
  next unless $chan && vec($rout, fileno($chan), 1);
  my $got = sysread($chan, $inbuf, 65536, length $inbuf);
  next if !defined $got && $!{EINTR};
  if (!$got) { close $chan; $chan = undef; next } # the supervisor is going; its exit is reaped above
  while ((my $nl = index($inbuf, "\n")) >= 0) {
    my $line = substr($inbuf, 0, $nl + 1, '');
    chomp $line;
    command($line);
  }
  if (length $inbuf > 65536) { complain('overlong request from the supervisor'); $inbuf = '' }
}
`;
