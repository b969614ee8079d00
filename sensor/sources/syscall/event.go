package syscall

import (
	"github.com/sakersec/saker/sensor/event"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/state"
)

// typeIndex maps event types to their index in fields.SyscallEventTypes,
// which is what [fields.Event.EventType] reports.
var typeIndex = func() (m [event.NumTypes]int) {
	idx := map[string]int{}
	for i, n := range fields.SyscallEventTypes {
		if _, ok := idx[n]; !ok {
			idx[n] = i
		}
	}
	for t := range m {
		m[t] = -1
		if i, ok := idx[event.Type(t).String()]; ok && t != int(event.TypeUnknown) {
			m[t] = i
		}
	}
	return m
}()

// TypeIndex returns the fields.SyscallEventTypes index of t, or -1.
func TypeIndex(t event.Type) int {
	if t >= event.NumTypes {
		return -1
	}
	return typeIndex[t]
}

// Event is one syscall event as the rules see it: the decoded kernel
// event, the process it belongs to (after the state applied the event) and
// the state tables for parents, users and containers.
//
// An Event is reused for every event; it is not safe for concurrent use.
type Event struct {
	Ev    *event.Event
	Proc  *state.Process
	State *state.Table
	// Hostname is evt.hostname.
	Hostname string
	// StartTS is the capture start, for evt.reltime.
	StartTS int64

	fd     *state.FD
	fdDone bool
	tmpFD  state.FD
}

// Set points e at a new event. p is the process state.Table.Update
// returned for ev.
func (e *Event) Set(ev *event.Event, p *state.Process) {
	e.Ev, e.Proc = ev, p
	e.fd, e.fdDone = nil, false
}

// EventType implements fields.Event.
func (e *Event) EventType() int { return TypeIndex(e.Ev.Type) }

// fdArg is the argument holding the fd an event acts on, for events that
// take an fd (the others act on the fd they return).
var fdArg = [event.NumTypes]*event.ArgKey{
	event.TypeClose: event.KeyFD, event.TypeConnect: event.KeyFD, event.TypeBind: event.KeyFD,
	event.TypeListen: event.KeyFD, event.TypeSendto: event.KeyFD, event.TypeSendmsg: event.KeyFD,
	event.TypeRecvfrom: event.KeyFD, event.TypeRecvmsg: event.KeyFD, event.TypeFchmod: event.KeyFD,
	event.TypeFchdir: event.KeyFD, event.TypeFinitModule: event.KeyFD, event.TypeSetns: event.KeyFD,
	event.TypeFcntl: event.KeyFD,
}

// FD returns the file descriptor the event acts on: the fd argument, or
// the returned fd of open, socket, accept, dup and memfd_create. A failed
// open yields a descriptor built from its arguments, as libsinsp does, so
// fd.name works for failed opens too.
func (e *Event) FD() *state.FD {
	if e.fdDone {
		return e.fd
	}
	e.fdDone = true
	ev := e.Ev
	if e.Proc == nil {
		return nil
	}
	if ev.Type >= event.NumTypes {
		return nil
	}
	if k := fdArg[ev.Type]; k != nil {
		if num, ok := ev.IntOf(k); ok {
			e.fd = e.Proc.FDs.Get(num)
		}
		return e.fd
	}
	switch ev.Type {
	case event.TypeOpen, event.TypeOpenat, event.TypeOpenat2, event.TypeCreat:
		if ev.Res >= 0 {
			e.fd = e.Proc.FDs.Get(ev.Res)
		}
		if e.fd == nil {
			e.State.FailedOpenFD(&e.tmpFD, e.Proc, ev)
			e.fd = &e.tmpFD
		}
	case event.TypeSocket, event.TypeAccept, event.TypeAccept4, event.TypeDup, event.TypeDup2, event.TypeDup3,
		event.TypeMemfdCreate, event.TypeUserfaultfd, event.TypeBpf:
		if ev.Res >= 0 {
			e.fd = e.Proc.FDs.Get(ev.Res)
		}
	}
	return e.fd
}
