#!/usr/bin/env bash
# Records the seed scenarios of testdata/ruletests into this directory with
# `sakerctl capture record FILE -- COMMAND`, which keeps only the command's
# process tree. Needs root (eBPF). Each scenario runs with a minimal
# environment so that the recordings hold no secrets from the recording
# machine. Usage: sudo testdata/captures/record.sh [path/to/sakerctl]
set -euo pipefail
# The recordings hold the environment of every exec: start over with a
# minimal one so that nothing of this machine's ends up in testdata.
if [ -z "${SAKER_SEED_CLEAN:-}" ]; then
  exec env -i SAKER_SEED_CLEAN=1 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C \
    SAKER_SEED_IMAGE="${SAKER_SEED_IMAGE:-}" SAKER_SEED_ADDR="${SAKER_SEED_ADDR:-}" bash "$0" "$@"
fi
cd "$(dirname "$0")"
SAKERCTL=${1:-../../bin/sakerctl}
work=$(mktemp -d /tmp/saker-seed.XXXXXX)
trap 'rm -rf "$work"; rm -f /etc/saker-ruletest.conf /dev/saker-ruletest' EXIT
clean=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C)

record() { # name command...
  local name=$1; shift
  "$SAKERCTL" capture record "$name.trace" -- "${clean[@]}" "$@" >/dev/null
  echo "$name.trace: $(stat -c %s "$name.trace") bytes"
}

# A program that is not an authentication tool reads /etc/shadow.
record read_shadow sh -c 'cat /etc/shadow >/dev/null'

# A shell writes a file below /etc.
record write_below_etc sh -c 'echo saker >/etc/saker-ruletest.conf; rm -f /etc/saker-ruletest.conf'

# touch creates a regular file in /dev.
record create_in_dev sh -c 'touch /dev/saker-ruletest; rm -f /dev/saker-ruletest'

# find, not a shell, spawns a shell.
record shell_from_find find /etc/hostname -exec sh -c 'id >/dev/null' ';'

# A program copies /bin/true into a memfd and executes it from there.
record memfd_exec perl -e '$^F = 100; my $fd = syscall(319, my $n = "saker", 0); die "memfd_create: $!" if $fd < 0;
  open(my $src, "<:raw", "/bin/true") or die; local $/; my $bin = <$src>;
  open(my $dst, ">&=", $fd) or die; binmode $dst; print $dst $bin; $dst->flush;
  exec { "/proc/self/fd/$fd" } "true" or die "exec: $!"'

# A program named cat (busybox's nc applet behind a link called cat)
# connects to a listener: on loopback, then on this machine's own
# non-loopback address (192.0.2.2 on the machine that made the committed
# recordings; ../ruletests/network.yaml expects it), which counts as outbound.
ln -s "$(command -v busybox)" "$work/cat"
listen() { perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => $ARGV[1], Listen => 5, ReuseAddr => 1) or die "listen: $!"; $c = $s->accept; close $c' "$@" & sleep 0.3; }
listen 127.0.0.1 18080
record connect_loopback bash -c "exec -a nc $work/cat -w 1 127.0.0.1 18080 </dev/null"
addr=${SAKER_SEED_ADDR:-$(ip -4 -o addr show scope global | awk '{split($4, a, "/"); print a[1]; exit}')}
listen "$addr" 18080
record connect_out bash -c "exec -a nc $work/cat -w 1 $addr 18080 </dev/null"
wait

# A shell started in a container by the container runtime (not by a
# shell), which then reads /etc/shadow. The image needs sh and cat
# (SAKER_SEED_IMAGE; the default is built by cmd/run's acceptance tests
# from Debian's busybox-static).
image=${SAKER_SEED_IMAGE:-saker-test/busybox:static}
if docker image inspect "$image" >/dev/null 2>&1; then
  id=$(docker create "$image" sh -c 'id >/dev/null; cat /etc/shadow >/dev/null')
  "$SAKERCTL" capture record shell_in_container.trace --all --filter "container.id = ${id:0:12}" -- docker start -a "$id" >/dev/null
  docker rm -f "$id" >/dev/null
  echo "shell_in_container.trace: $(stat -c %s shell_in_container.trace) bytes"
else
  echo "skipping shell_in_container.trace: image $image not found" >&2
fi
