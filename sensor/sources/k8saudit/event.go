package k8saudit

import (
	"time"

	"github.com/sakersec/saker/sensor/sources/k8saudit/internal/jsontree"
)

// SourceName is the rules' name for this source.
const SourceName = "k8s_audit"

// Event is one decoded Kubernetes audit event. It is read-only after
// [Decode] and safe for concurrent reads. It implements [fields.Event].
type Event struct {
	// Time is the event's stageTimestamp: alerts carry it as their time.
	Time time.Time
	// Cluster names the cluster the event came from (ka.cluster.name),
	// set by the receiver from its configuration; "" when unknown.
	Cluster string

	root jsontree.Value
	// Top-level members, looked up once at decode time because nearly every
	// field starts from one of them.
	stage, user, impUser, verb, uri, objectRef, requestObject, responseObject,
	responseStatus, annotations, userAgent, sourceIPs, auditID jsontree.Value
}

// EventType implements fields.Event: audit events have no event types.
func (e *Event) EventType() int { return -1 }

// JSON returns the event as compact JSON text.
func (e *Event) JSON() string { return e.root.Text() }

// AuditID returns the event's auditID, "" when absent.
func (e *Event) AuditID() string { return e.auditID.Text() }

// Stage returns the event's stage ("ResponseComplete", ...).
func (e *Event) Stage() string { return e.stage.Text() }

func (e *Event) index() {
	for m := e.root.First(); m.Exists(); m = m.Next() {
		switch m.Key() {
		case "stage":
			e.stage = m
		case "user":
			e.user = m
		case "impersonatedUser":
			e.impUser = m
		case "verb":
			e.verb = m
		case "requestURI":
			e.uri = m
		case "objectRef":
			e.objectRef = m
		case "requestObject":
			e.requestObject = m
		case "responseObject":
			e.responseObject = m
		case "responseStatus":
			e.responseStatus = m
		case "annotations":
			e.annotations = m
		case "userAgent":
			e.userAgent = m
		case "sourceIPs":
			e.sourceIPs = m
		case "auditID":
			e.auditID = m
		}
	}
}
