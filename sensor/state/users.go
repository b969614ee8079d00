package state

import (
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// User is one /etc/passwd entry.
type User struct {
	Name, Home, Shell string
}

// Users resolves user and group ids to names from the host's /etc/passwd
// and /etc/group, re-reading them (at most every few seconds) when an id
// is not found, so users added after start are named.
type Users struct {
	root     string
	mu       sync.Mutex
	users    map[uint32]User
	groups   map[uint32]string
	loadedAt time.Time
}

// NewUsers reads root/etc/passwd and root/etc/group.
func NewUsers(root string) *Users {
	u := &Users{root: root}
	u.load()
	return u
}

func (u *Users) load() {
	u.users, u.groups = map[uint32]User{}, map[uint32]string{}
	u.loadedAt = time.Now()
	if b, err := readFileLimit(path.Join(u.root, "etc/passwd"), 8<<20); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Split(l, ":")
			if len(f) < 7 || strings.HasPrefix(l, "#") {
				continue
			}
			id, err := strconv.ParseUint(f[2], 10, 32)
			if err != nil {
				continue
			}
			if _, dup := u.users[uint32(id)]; !dup {
				u.users[uint32(id)] = User{Name: f[0], Home: f[5], Shell: f[6]}
			}
		}
	}
	if b, err := readFileLimit(path.Join(u.root, "etc/group"), 8<<20); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Split(l, ":")
			if len(f) < 3 || strings.HasPrefix(l, "#") {
				continue
			}
			id, err := strconv.ParseUint(f[2], 10, 32)
			if err != nil {
				continue
			}
			if _, dup := u.groups[uint32(id)]; !dup {
				u.groups[uint32(id)] = f[0]
			}
		}
	}
}

func (u *Users) maybeReload() bool {
	if time.Since(u.loadedAt) < 5*time.Second {
		return false
	}
	u.load()
	return true
}

// User returns the user with this uid.
func (u *Users) User(uid uint32) (User, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	usr, ok := u.users[uid]
	if !ok && u.maybeReload() {
		usr, ok = u.users[uid]
	}
	return usr, ok
}

// Group returns the name of the group with this gid.
func (u *Users) Group(gid uint32) (string, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	g, ok := u.groups[gid]
	if !ok && u.maybeReload() {
		g, ok = u.groups[gid]
	}
	return g, ok
}
