package event

// ArgKey is an argument name resolved against the schema of every type
// once, so that reading the argument of an event is an array index rather
// than a search by name. The state and the field extractors read
// arguments through keys on every event; [Event.Arg] by name remains for
// tools. Keys are immutable and shared: [KeyOf] returns the same key for
// the same name.
type ArgKey struct {
	name string
	// idx is the schema index of the argument in each type, -1 where the
	// type has no argument of that name.
	idx [NumTypes]int8
}

// Name returns the argument name the key stands for.
func (k *ArgKey) Name() string { return k.name }

// Index returns the schema index of the key's argument in type t (N of
// evt.arg[N]), or -1 when t has no such argument. Like [ArgIndex], but
// without comparing names.
func (k *ArgKey) Index(t Type) int {
	if t >= NumTypes {
		return -1
	}
	return int(k.idx[t])
}

// argKeys has a key for every argument name of every schema.
var argKeys = func() map[string]*ArgKey {
	m := map[string]*ArgKey{}
	for t := range schemas {
		for i, ai := range schemas[t].args {
			k := m[ai.Name]
			if k == nil {
				k = &ArgKey{name: ai.Name}
				for j := range k.idx {
					k.idx[j] = -1
				}
				m[ai.Name] = k
			}
			k.idx[t] = int8(i)
		}
	}
	return m
}()

// KeyOf returns the key of the argument named name, or nil when no type
// has an argument of that name. Call it once (at init, or when a field
// is compiled), never per event.
func KeyOf(name string) *ArgKey { return argKeys[name] }

func mustKey(name string) *ArgKey {
	k := KeyOf(name)
	if k == nil {
		panic("event: no type has an argument named " + name)
	}
	return k
}

// Keys of the arguments the state and the field extractors read.
var (
	KeyFD             = mustKey("fd")
	KeyName           = mustKey("name")
	KeyFlags          = mustKey("flags")
	KeyMode           = mustKey("mode")
	KeyDev            = mustKey("dev")
	KeyIno            = mustKey("ino")
	KeyDirfd          = mustKey("dirfd")
	KeyOldfd          = mustKey("oldfd")
	KeyCmd            = mustKey("cmd")
	KeyPgid           = mustKey("pgid")
	KeyPid            = mustKey("pid")
	KeyFD1            = mustKey("fd1")
	KeyFD2            = mustKey("fd2")
	KeyDomain         = mustKey("domain")
	KeyType           = mustKey("type")
	KeyProto          = mustKey("proto")
	KeyTuple          = mustKey("tuple")
	KeyAddr           = mustKey("addr")
	KeyFDListen       = mustKey("fd_listen")
	KeyPath           = mustKey("path")
	KeyFilename       = mustKey("filename")
	KeyPathname       = mustKey("pathname")
	KeyOldpath        = mustKey("oldpath")
	KeyNewpath        = mustKey("newpath")
	KeyTarget         = mustKey("target")
	KeyLinkpath       = mustKey("linkpath")
	KeyExe            = mustKey("exe")
	KeyArgs           = mustKey("args")
	KeyEnv            = mustKey("env")
	KeyCwd            = mustKey("cwd")
	KeyTrustedExepath = mustKey("trusted_exepath")
	KeyTTY            = mustKey("tty")
	KeyLoginUID       = mustKey("loginuid")
	KeyCapEffective   = mustKey("cap_effective")
	KeyCapPermitted   = mustKey("cap_permitted")
	KeyCapInheritable = mustKey("cap_inheritable")
	KeyExeIno         = mustKey("exe_ino")
	KeyExeInoCtime    = mustKey("exe_ino_ctime")
	KeyExeInoMtime    = mustKey("exe_ino_mtime")
	KeyCgroups        = mustKey("cgroups")
	KeyVtid           = mustKey("vtid")
	KeyVpid           = mustKey("vpid")
)

// ArgOf returns the argument k names (evt.arg.NAME), like [Event.Arg].
func (e *Event) ArgOf(k *ArgKey) (Arg, bool) {
	if e.Type >= NumTypes {
		return Arg{}, false
	}
	i := k.idx[e.Type]
	if i < 0 {
		return Arg{}, false
	}
	a := e.ArgAt(int(i))
	return a, a.Info != nil
}

// record returns the record bytes of the argument k names when it lives
// in the argument area (rec true); otherwise, info is the argument's
// description (nil when e has no such argument) for [Event.ArgAt].
func (e *Event) record(k *ArgKey) (b []byte, info *ArgInfo, idx int, rec bool) {
	if e.Type >= NumTypes {
		return nil, nil, -1, false
	}
	i := k.idx[e.Type]
	if i < 0 {
		return nil, nil, -1, false
	}
	s := &schemas[e.Type]
	info = &s.args[i]
	if info.Src != SrcRecord {
		return nil, info, int(i), false
	}
	r := s.rec[i]
	if e.area == nil {
		return nil, nil, -1, false
	}
	o := e.off[r]
	return e.area[o : o+uint32(e.size[r]) : o+uint32(e.size[r])], info, int(i), true
}

// IntOf returns the integer argument k names, like [Event.Int].
func (e *Event) IntOf(k *ArgKey) (int64, bool) {
	b, info, i, rec := e.record(k)
	if rec {
		return Arg{Info: info, Raw: b}.Int(), true
	}
	if info == nil {
		return 0, false
	}
	return e.ArgAt(i).Int(), true
}

// UintOf returns the argument k names as an unsigned value ([Arg.Uint]).
func (e *Event) UintOf(k *ArgKey) (uint64, bool) {
	b, info, i, rec := e.record(k)
	if rec {
		return Arg{Info: info, Raw: b}.Uint(), true
	}
	if info == nil {
		return 0, false
	}
	return e.ArgAt(i).Uint(), true
}

// BytesOf returns the string/path/buffer argument k names, like
// [Event.Bytes].
func (e *Event) BytesOf(k *ArgKey) ([]byte, bool) {
	b, info, i, rec := e.record(k)
	if rec {
		return b, true
	}
	if info == nil {
		return nil, false
	}
	return e.ArgAt(i).Raw, true
}
