package capture_test

import "golang.org/x/sys/unix"

// Syscalls of x86_64's table that arm64's generic table lacks. The child
// actions call them only when runtime.GOARCH is amd64; legacy_other_test.go
// gives other architectures the same names so the package builds there.
const (
	sysOpen    = unix.SYS_OPEN
	sysCreat   = unix.SYS_CREAT
	sysMkdir   = unix.SYS_MKDIR
	sysLink    = unix.SYS_LINK
	sysSymlink = unix.SYS_SYMLINK
	sysRename  = unix.SYS_RENAME
	sysChmod   = unix.SYS_CHMOD
	sysUnlink  = unix.SYS_UNLINK
	sysRmdir   = unix.SYS_RMDIR
	sysDup2    = unix.SYS_DUP2
	sysPipe    = unix.SYS_PIPE
	sysFork    = unix.SYS_FORK
	sysVfork   = unix.SYS_VFORK
)
