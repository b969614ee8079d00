#!/usr/bin/env bash
# Run Saker's eBPF driver tests on arm64 under qemu (TCG software emulation
# on any host; slow, so not part of CI). `make arm64-check` calls it.
#
# It takes Debian's arm64 kernel (BTF, ring buffers) and busybox-static from
# apt, cross-compiles the drivers and sensor/capture test binaries and
# sakerctl for arm64, packs them into an initramfs whose /init runs them with
# SAKER_REQUIRE_PRIVILEGED=1 (so nothing skips silently), boots it with
# qemu-system-aarch64 and reports. Every step is skipped when its output is
# already there, except the Go builds, the initramfs and the boot.
#
# Environment:
#   ARM64_WORK     work directory (default /tmp/saker-arm64); the console log
#                  is $ARM64_WORK/console.log
#   ARM64_CPU      qemu CPU model (default cortex-a72)
#   ARM64_SMP      virtual CPUs (default 2)
#   ARM64_TIMEOUT  seconds before the boot is killed (default 1800)
#   ARM64_TESTS    go test -run pattern for both suites (default: all)
#   ARM64_KERNEL   Debian binary package of the kernel (default: what
#                  linux-image-arm64 depends on)
#   ARM64_CMDLINE  extra kernel command line, e.g. loglevel=7
#
# Needs root (apt, dpkg --add-architecture); the guest needs nothing else.
# Exit status: 0 when every suite in the guest passed.
set -euo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
work=${ARM64_WORK:-/tmp/saker-arm64}
cpu=${ARM64_CPU:-cortex-a72}
smp=${ARM64_SMP:-2}
timeout_s=${ARM64_TIMEOUT:-1800}
tests=${ARM64_TESTS:-.}
marker=SAKER-ARM64

say() { printf 'arm64-qemu: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: it installs qemu and arm64 packages with apt"
mkdir -p "$work/deb"

# 1. Packages: qemu on the host, the arm64 kernel and busybox as files.
need_update=
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	say "adding the arm64 architecture to dpkg"
	dpkg --add-architecture arm64
	need_update=1
fi
if [ -n "$need_update" ] || ! apt-cache show busybox-static:arm64 >/dev/null 2>&1; then
	apt-get update -qq
fi
for tool in qemu-system-aarch64:qemu-system-arm cpio:cpio; do
	if ! command -v "${tool%%:*}" >/dev/null; then
		say "installing ${tool#*:}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tool#*:}" >/dev/null
	fi
done
kpkg=${ARM64_KERNEL:-$(apt-cache depends linux-image-arm64:arm64 | awk '/Depends: linux-image-/ {print $2; exit}')}
kpkg=${kpkg%:arm64}
[ -n "$kpkg" ] || die "cannot resolve linux-image-arm64 to a kernel package; set ARM64_KERNEL"
(
	cd "$work/deb"
	ls "${kpkg}"_*_arm64.deb >/dev/null 2>&1 || { say "downloading $kpkg:arm64"; apt-get download -q "$kpkg:arm64"; }
	ls busybox-static_*_arm64.deb >/dev/null 2>&1 || { say "downloading busybox-static:arm64"; apt-get download -q busybox-static:arm64; }
) 2>&1 | grep -v 'unsandboxed as root' >&2 || true
kdeb=$(ls "$work/deb/${kpkg}"_*_arm64.deb | head -1)
if [ ! -d "$work/kernel/$kpkg" ]; then
	rm -rf "$work/kernel/$kpkg.tmp"
	mkdir -p "$work/kernel"
	dpkg-deb -x "$kdeb" "$work/kernel/$kpkg.tmp"
	mv "$work/kernel/$kpkg.tmp" "$work/kernel/$kpkg"
fi
kdir=$work/kernel/$kpkg
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -1)
krel=${vmlinuz##*/vmlinuz-}
grep -q '^CONFIG_DEBUG_INFO_BTF=y' "$kdir/boot/config-$krel" || die "$kpkg lacks CONFIG_DEBUG_INFO_BTF"
[ -d "$work/busybox" ] || dpkg-deb -x "$(ls "$work"/deb/busybox-static_*_arm64.deb | head -1)" "$work/busybox"

# 2. Cross-compiled binaries (always rebuilt: they are the thing under test).
bin=$work/bin
mkdir -p "$bin"
say "cross-compiling for arm64"
export GOOS=linux GOARCH=arm64 CGO_ENABLED=0
go test -c -o "$bin/drivers.test" ./drivers
go test -c -o "$bin/capture.test" ./sensor/capture
go build -trimpath -o "$bin/sakerctl" ./cmd/sakerctl
unset GOOS GOARCH

# 3. The initramfs.
root=$work/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,var,root,lib/modules,saker/drivers/bpf,saker/capture}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
for a in sh ash cat cp echo env grep head kill ls mkdir mknod mount umount poweroff sleep sync tail \
	timeout uname wget ifconfig insmod date tee wc sed awk ps rm id hostname dmesg; do
	ln -sf busybox "$root/bin/$a"
done
cp "$bin/drivers.test" "$root/saker/drivers/"
cp drivers/bpf/types.h "$root/saker/drivers/bpf/" # TestTypesHeaderMatchesEventTypes reads it
cp "$bin/capture.test" "$root/saker/capture/"
cp "$bin/sakerctl" "$root/bin/"
ovl=$(find "$kdir/lib/modules" -name overlay.ko | head -1)
[ -n "$ovl" ] && cp "$ovl" "$root/lib/modules/"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
printf 'root:*:20000:0:99999:7:::\n' >"$root/etc/shadow"
chmod 600 "$root/etc/shadow"
echo saker-arm64 >"$root/etc/hostname"
cat >"$root/init" <<EOF
#!/bin/sh
# Saker's arm64 check (scripts/arm64-qemu.sh). Markers: "$marker: ...".
export PATH=/bin:/sbin HOME=/root TMPDIR=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
hostname saker-arm64
ifconfig lo 127.0.0.1 up
insmod /lib/modules/overlay.ko 2>/dev/null
# tracefs is left unmounted on purpose: the loader mounts it (ensureTracefs).
echo "$marker: kernel \$(uname -r) \$(uname -m), \$(grep -c ^processor /proc/cpuinfo) CPUs, BTF \$(ls -l /sys/kernel/btf/vmlinux | awk '{print \$5}') bytes"
failed=0
suite() {
	name=\$1; shift
	echo "$marker: BEGIN \$name \$(date +%s)"
	"\$@"
	rc=\$?
	if [ \$rc = 0 ]; then echo "$marker: PASS \$name \$(date +%s)"; else echo "$marker: FAIL \$name (exit \$rc) \$(date +%s)"; failed=1; fi
}
cd /saker/drivers
suite drivers env SAKER_REQUIRE_PRIVILEGED=1 ./drivers.test -test.v -test.count=1 -test.timeout=20m -test.run '$tests'
cd /saker/capture
suite capture env SAKER_REQUIRE_PRIVILEGED=1 ./capture.test -test.v -test.count=1 -test.timeout=30m -test.run '$tests'
suite capture-raw-tracepoint env SAKER_REQUIRE_PRIVILEGED=1 SAKER_TEST_DRIVER_MODE=raw_tracepoint ./capture.test -test.count=1 -test.timeout=30m -test.run '$tests'
cd /
sensor() {
	sakerctl --log-format text driver printenv || return 1
	sakerctl --log-format text run -o json_output=true >/tmp/sensor.out 2>/tmp/sensor.err &
	pid=\$!
	i=0
	until wget -q -O /dev/null http://127.0.0.1:8765/healthz 2>/dev/null; do
		i=\$((i+1))
		if [ \$i -gt 300 ] || ! kill -0 \$pid 2>/dev/null; then echo "sensor not ready after \$i s"; cat /tmp/sensor.err; kill \$pid 2>/dev/null; return 1; fi
		sleep 1
	done
	echo "sensor ready after about \$i s"
	cat /etc/shadow >/dev/null
	i=0
	until grep -q '/etc/shadow' /tmp/sensor.out; do
		i=\$((i+1))
		if [ \$i -gt 60 ]; then break; fi
		sleep 1
	done
	kill -INT \$pid; wait \$pid
	cat /tmp/sensor.out
	tail -n 20 /tmp/sensor.err
	# An alert of the embedded rules' sensitive-file rule names the file.
	grep '"fd.name":"/etc/shadow"' /tmp/sensor.out | grep -q '"rule":"Sensitive file read by untrusted program"'
}
suite sensor sensor
if [ \$failed = 0 ]; then echo "$marker: RESULT PASS"; else echo "$marker: RESULT FAIL"; fi
sync
poweroff -f
EOF
chmod 755 "$root/init"
initrd=$work/initramfs.cpio.gz
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 >"$initrd")

# 4. Boot.
log=$work/console.log
say "booting $krel on qemu-system-aarch64 -cpu $cpu -smp $smp (TCG; log: $log)"
start=$(date +%s)
set +e
timeout --foreground "$timeout_s" qemu-system-aarch64 -M virt -cpu "$cpu" -smp "$smp" -m 2G -nographic -nic none -no-reboot \
	-kernel "$vmlinuz" -initrd "$initrd" -append "console=ttyAMA0 panic=-1 quiet loglevel=4 ${ARM64_CMDLINE:-}" </dev/null 2>&1 |
	tee "$log"
qrc=${PIPESTATUS[0]}
set -e
took=$(($(date +%s) - start))

# 5. Report.
say "qemu exited with $qrc after ${took}s"
grep -a "^$marker:" "$log" | tr -d '\r' >&2 || true
if [ "$qrc" = 124 ]; then
	die "the guest did not finish within ${timeout_s}s (ARM64_TIMEOUT)"
fi
grep -aq "^$marker: RESULT PASS" "$log" || die "arm64 check failed (see $log)"
say "arm64 check passed: kernel $krel, ${took}s"
