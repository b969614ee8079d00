// Package alert defines the alert a rule match produces and its Falco wire
// shapes: the JSON object Falco emits (and falcosidekick and event-generator
// consume) and the text line Falco prints.
package alert

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Priority is a rule's severity, ordered from most to least severe as in
// Falco: Emergency < Alert < ... < Debug.
type Priority int

// Priorities in Falco's order.
const (
	PriorityEmergency Priority = iota
	PriorityAlert
	PriorityCritical
	PriorityError
	PriorityWarning
	PriorityNotice
	PriorityInformational
	PriorityDebug
)

var priorityNames = [...]string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

// String returns Falco's long name ("Warning", "Informational", ...).
func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityNames) {
		return fmt.Sprintf("Priority(%d)", int(p))
	}
	return priorityNames[p]
}

// ParsePriority accepts Falco's names and aliases, case-insensitively:
// emergency, alert, critical, error, warning/warn, notice, informational/info,
// debug.
func ParsePriority(s string) (Priority, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "emergency":
		return PriorityEmergency, nil
	case "alert":
		return PriorityAlert, nil
	case "critical":
		return PriorityCritical, nil
	case "error":
		return PriorityError, nil
	case "warning", "warn":
		return PriorityWarning, nil
	case "notice":
		return PriorityNotice, nil
	case "informational", "info":
		return PriorityInformational, nil
	case "debug":
		return PriorityDebug, nil
	}
	return 0, fmt.Errorf("unknown priority %q: want emergency, alert, critical, error, warning, notice, informational or debug", s)
}

// MarshalText writes the long name.
func (p Priority) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses any accepted spelling.
func (p *Priority) UnmarshalText(b []byte) error {
	v, err := ParsePriority(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Field is one output field of an alert. Value is nil when the field had no
// value (JSON null, text <NA>), otherwise a string, an integer, a bool or a
// float.
type Field struct {
	Name  string
	Value any
}

// Alert is one rule match, ready for the outputs.
type Alert struct {
	Time     time.Time
	Rule     string
	Priority Priority
	Source   string
	Tags     []string
	Hostname string
	// Output is the rule's output with every %field substituted.
	Output string
	// OutputFields lists the fields named in the output (and append_output
	// extras), in order of first appearance.
	OutputFields []Field
}

// JSONOptions mirrors falco.yaml's json_include_* switches.
type JSONOptions struct {
	IncludeOutputProperty bool
	IncludeTagsProperty   bool
	// IncludeOutputFieldsProperty controls "output_fields".
	IncludeOutputFieldsProperty bool
}

// DefaultJSONOptions includes every property, as Falco does by default.
var DefaultJSONOptions = JSONOptions{IncludeOutputProperty: true, IncludeTagsProperty: true, IncludeOutputFieldsProperty: true}

// TimeFormat is Falco's JSON time: RFC 3339 in UTC with nanoseconds.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// AppendJSON appends the alert as one Falco JSON object (no newline).
// Keys come in Falco's order: hostname, output, output_fields, priority,
// rule, source, tags, time.
func (a *Alert) AppendJSON(dst []byte, o JSONOptions) []byte {
	dst = append(dst, `{"hostname":`...)
	dst = appendString(dst, a.Hostname)
	if o.IncludeOutputProperty {
		dst = append(dst, `,"output":`...)
		dst = appendString(dst, a.Output)
	}
	if o.IncludeOutputFieldsProperty {
		dst = append(dst, `,"output_fields":{`...)
		for i, f := range a.OutputFields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, f.Name)
			dst = append(dst, ':')
			b, err := json.Marshal(f.Value)
			if err != nil {
				b = []byte("null")
			}
			dst = append(dst, b...)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"priority":`...)
	dst = appendString(dst, a.Priority.String())
	dst = append(dst, `,"rule":`...)
	dst = appendString(dst, a.Rule)
	dst = append(dst, `,"source":`...)
	dst = appendString(dst, a.Source)
	if o.IncludeTagsProperty {
		dst = append(dst, `,"tags":[`...)
		for i, t := range a.Tags {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, t)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"time":"`...)
	dst = a.Time.UTC().AppendFormat(dst, TimeFormat)
	dst = append(dst, `"}`...)
	return dst
}

// MarshalJSON encodes the alert with DefaultJSONOptions.
func (a *Alert) MarshalJSON() ([]byte, error) { return a.AppendJSON(nil, DefaultJSONOptions), nil }

func appendString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s)
	return append(dst, b...)
}

// AppendText appends the line Falco prints for an alert:
// "<time>: <Priority> <output>". iso8601 selects Falco's
// time_format_iso_8601; otherwise the local "15:04:05.000000000" form is used.
func (a *Alert) AppendText(dst []byte, iso8601 bool) []byte {
	if iso8601 {
		dst = a.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000000+0000")
	} else {
		dst = a.Time.Local().AppendFormat(dst, "15:04:05.000000000")
	}
	dst = append(dst, ": "...)
	dst = append(dst, a.Priority.String()...)
	dst = append(dst, ' ')
	dst = append(dst, a.Output...)
	return dst
}
