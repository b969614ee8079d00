//go:build !amd64

package capture_test

// The architecture has none of these syscalls (see legacy_amd64_test.go);
// an accidental call fails with ENOSYS instead of running another syscall.
const (
	sysNone    = ^uintptr(0)
	sysOpen    = sysNone
	sysCreat   = sysNone
	sysMkdir   = sysNone
	sysLink    = sysNone
	sysSymlink = sysNone
	sysRename  = sysNone
	sysChmod   = sysNone
	sysUnlink  = sysNone
	sysRmdir   = sysNone
	sysDup2    = sysNone
	sysPipe    = sysNone
	sysFork    = sysNone
	sysVfork   = sysNone
)
