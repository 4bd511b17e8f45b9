// Perl code shared by the reaper (reaper-script.ts) and the exec console (exec-console-script.ts): holding a
// terminal's pty master as Docker's containerd shim does. The runtime, given `--console-socket`, connects to
// a unix socket and passes the pty master it made inside the container with SCM_RIGHTS; node cannot receive
// a file descriptor, perl-base can through recvmsg(2) by syscall(). Whoever holds the master copies between
// it and the streams the engine reads, and sets the window size (TIOCSWINSZ, which also sends SIGWINCH to
// the terminal's foreground process group) when a client resizes.
// No module is loaded (POSIX and Socket alone would add 2.5 MB resident): the system calls perl has no
// built-in for go through syscall() with their numbers per architecture; the constants are Linux's, the same
// on every architecture listed, all of them 64-bit (the structures below are packed for that).

/** Sets $sys (the system call numbers of the architecture this perl runs on, from its ELF header's
 *  e_machine; undefined when unknown) and $machine. */
export const PERL_SYSCALLS = String.raw`
my %SYSCALLS = (62 => { name => 'x86_64', prctl => 157, mknodat => 259, setsid => 112, recvmsg => 47, clock_gettime => 228 },
  183 => { name => 'aarch64', prctl => 167, mknodat => 33, setsid => 157, recvmsg => 212, clock_gettime => 113 },
  243 => { name => 'riscv64', prctl => 167, mknodat => 33, setsid => 157, recvmsg => 212, clock_gettime => 113 });
my $elf = '';
if (open(my $exe, '<:raw', '/proc/self/exe')) { read($exe, $elf, 20); close $exe }
my ($class, $machine) = length $elf == 20 ? (unpack('C', substr($elf, 4, 1)), unpack('v', substr($elf, 18, 2))) : (0, 0);
my $sys = $class == 2 ? $SYSCALLS{$machine} : undef;
`;

/** Subroutines over $sys: a console socket, receiving the master, its window size, and pumps (a buffered,
 *  non-blocking copy from one handle to another, driven by the caller's select loop). */
export const CONSOLE_HOLDER = String.raw`
use constant { SOL_SOCKET => 1, SCM_RIGHTS => 1, MSG_CMSG_CLOEXEC => 0x40000000, TIOCSWINSZ => 0x5414, F_GETFL => 3, PUMP_MAX => 65536 };

# A listening unix socket at <dir>/<name>, bound from inside <dir>: a sun_path holds 107 bytes, less than a
# deep state root's paths. The runtime is given the same relative name and runs with <dir> as its cwd.
# The working directory is restored after (the supervisor, started again later, inherits it).
sub console_listen {
  my ($dir, $name) = @_;
  socket(my $l, AF_UNIX, SOCK_STREAM, 0) or return;
  opendir(my $here, '.') or return;
  chdir($dir) or return;
  unlink $name;
  my $ok = bind($l, pack('S Z108', AF_UNIX, $name)) && listen($l, 1);
  chdir($here) or chdir('/');
  closedir $here;
  return $ok ? $l : undef;
}

# The pty master sent over a connected console socket (the message is the pty's name, the master rides in
# its control data), as a read-write handle; undef if the peer sent none.
sub console_receive {
  my ($conn) = @_;
  my $data = "\0" x 4096;
  my $ctl = "\0" x 64;
  my $iov = pack('Q Q', unpack('Q', pack('p', $data)), length $data);
  my $msg = pack('Q L x4 Q Q Q Q L x4', 0, 0, unpack('Q', pack('p', $iov)), 1, unpack('Q', pack('p', $ctl)), length $ctl, 0);
  my $n = syscall($sys->{recvmsg}, fileno($conn), $msg, MSG_CMSG_CLOEXEC);
  return if $n < 0;
  my ($len, $level, $type, $fd) = unpack('Q l l l', $ctl);
  return unless $len >= 20 && $level == SOL_SOCKET && $type == SCM_RIGHTS;
  open(my $master, '+<&=', $fd) or return;
  set_nonblocking($master);
  return $master;
}

sub set_nonblocking { my ($fh) = @_; my $fl = fcntl($fh, F_GETFL, 0) // 0; fcntl($fh, F_SETFL, $fl | O_NONBLOCK) }

sub set_window {
  my ($master, $rows, $cols) = @_;
  return ioctl($master, TIOCSWINSZ, pack('S4', $rows, $cols, 0, 0));
}

sub new_pump { my ($from, $to) = @_; return { from => $from, to => $to, buf => '', eof => 0 } }

sub pump_select {
  my ($p, $rin, $win) = @_;
  vec($$rin, fileno($p->{from}), 1) = 1 if !$p->{eof} && length $p->{buf} < PUMP_MAX;
  vec($$win, fileno($p->{to}), 1) = 1 if length $p->{buf} && $p->{to};
}

# Moves what select found ready; a pump with close_at_end closes its destination after the source's end. The source's end (or error: EIO is a pty master's end once the terminal's
# last process closed it) marks the pump's end; a destination that fails (nobody reads any more) drops
# what was read since.
sub pump_run {
  my ($p, $rout, $wout) = @_;
  if (!$p->{eof} && vec($rout, fileno($p->{from}), 1)) {
    my $n = sysread($p->{from}, $p->{buf}, PUMP_MAX, length $p->{buf});
    $p->{eof} = 1 if !$n && !(defined $n ? 0 : $!{EAGAIN} || $!{EINTR});
  }
  if ($p->{to} && length $p->{buf} && vec($wout, fileno($p->{to}), 1)) {
    my $n = syswrite($p->{to}, $p->{buf});
    if (defined $n) { substr($p->{buf}, 0, $n) = '' }
    elsif (!$!{EAGAIN} && !$!{EINTR}) { $p->{to} = undef }
  }
  $p->{buf} = '' unless $p->{to};
  if ($p->{close_at_end} && $p->{to} && pump_done($p)) { close $p->{to}; $p->{to} = undef }
}

sub pump_done { my ($p) = @_; return $p->{eof} && !length $p->{buf} }
`;
