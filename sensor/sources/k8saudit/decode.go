package k8saudit

import (
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/sakersec/saker/sensor/sources/k8saudit/internal/jsontree"
)

// Errors returned by [Decode], wrapped with details. A body that is not
// JSON wraps jsontree.ErrSyntax as well as ErrMalformed.
var (
	// ErrMalformed: the body is not an audit event, an EventList or an
	// array of them.
	ErrMalformed = errors.New("malformed audit payload")
	// ErrInvalidEvent: one event in an otherwise well-formed body cannot be
	// used (not an object, no valid stageTimestamp, wrong kind).
	ErrInvalidEvent = errors.New("invalid audit event")
)

// Accepted apiVersions. Events without an apiVersion (as some audit log
// shippers send) are accepted too.
var apiVersions = map[string]bool{"audit.k8s.io/v1": true, "audit.k8s.io/v1beta1": true, "audit.k8s.io/v1alpha1": true}

// Result is what [Decode] found in one body.
type Result struct {
	Events []*Event
	// Invalid holds one error per event that was skipped.
	Invalid []error
}

// Decode parses a webhook body: an audit.k8s.io EventList, a single Event,
// or a JSON array of either. It fails only when the body as a whole is
// unusable; events that cannot be used are reported in Result.Invalid and
// skipped, so one bad event does not lose its batch.
func Decode(body []byte) (Result, error) { return decodeString(string(body)) }

func decodeString(body string) (Result, error) {
	doc, err := jsontree.Parse(body)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var r Result
	root := doc.Root()
	switch root.Kind() {
	case jsontree.Array:
		i := 0
		for v := root.First(); v.Exists(); v = v.Next() {
			r.add(v, i)
			i++
		}
	case jsontree.Object:
		r.add(root, -1)
	default:
		return Result{}, fmt.Errorf("%w: the body is a JSON %s, want an audit Event, an EventList or an array of events", ErrMalformed, root.Kind())
	}
	return r, nil
}

// loc names an event's place in the body for error messages: elem is its
// index in a top-level array (-1 when the body is an object) and item its
// index in an EventList's items (-1 when not in a list).
func loc(elem, item int) string {
	s := "event"
	if item >= 0 {
		s = fmt.Sprintf("items[%d]", item)
	}
	if elem >= 0 {
		s = fmt.Sprintf("element %d, %s", elem, s)
	}
	return s
}

// add appends the events of v (an Event or an EventList) to r.
func (r *Result) add(v jsontree.Value, elem int) {
	if v.Kind() != jsontree.Object {
		r.invalid(fmt.Errorf("%w: %s is a JSON %s, want an object", ErrInvalidEvent, loc(elem, -1), v.Kind()))
		return
	}
	if av := v.Get("apiVersion"); av.Exists() && !apiVersions[av.Str()] {
		r.invalid(fmt.Errorf("%w: %s has apiVersion %q, want audit.k8s.io/v1 or v1beta1", ErrInvalidEvent, loc(elem, -1), av.Text()))
		return
	}
	kind := v.Get("kind").Str()
	items := v.Get("items")
	if kind == "EventList" || (kind == "" && items.Kind() == jsontree.Array) {
		if items.Kind() != jsontree.Array {
			if !items.Exists() {
				return // an empty list may omit items
			}
			r.invalid(fmt.Errorf("%w: %s: EventList items is a JSON %s, want an array", ErrInvalidEvent, loc(elem, -1), items.Kind()))
			return
		}
		i := 0
		for it := items.First(); it.Exists(); it = it.Next() {
			r.addEvent(it, elem, i)
			i++
		}
		return
	}
	r.addEvent(v, elem, -1)
}

func (r *Result) invalid(err error) { r.Invalid = append(r.Invalid, err) }

func (r *Result) addEvent(v jsontree.Value, elem, item int) {
	if v.Kind() != jsontree.Object {
		r.invalid(fmt.Errorf("%w: %s is a JSON %s, want an object", ErrInvalidEvent, loc(elem, item), v.Kind()))
		return
	}
	if k := v.Get("kind"); k.Exists() && k.Str() != "Event" {
		r.invalid(fmt.Errorf("%w: %s has kind %q, want Event or EventList", ErrInvalidEvent, loc(elem, item), k.Text()))
		return
	}
	ts := v.Get("stageTimestamp")
	if !ts.Exists() {
		r.invalid(fmt.Errorf("%w: %s (auditID %q) has no stageTimestamp", ErrInvalidEvent, loc(elem, item), v.Get("auditID").Text()))
		return
	}
	t, err := time.Parse(time.RFC3339Nano, ts.Str())
	if err != nil {
		r.invalid(fmt.Errorf("%w: %s (auditID %q) stageTimestamp %q is not an RFC 3339 time", ErrInvalidEvent, loc(elem, item), v.Get("auditID").Text(), ts.Text()))
		return
	}
	e := &Event{Time: t, root: v}
	e.index()
	r.Events = append(r.Events, e)
}

// decodeOwned is Decode for a body nobody else holds: the events point
// into it instead of into a copy.
func decodeOwned(body []byte) (Result, error) {
	if len(body) == 0 {
		return Decode(body)
	}
	return decodeString(unsafe.String(&body[0], len(body)))
}
