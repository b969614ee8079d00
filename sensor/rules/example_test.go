package rules_test

import (
	"fmt"
	"time"

	"github.com/sakersec/saker/sensor/alert"
	"github.com/sakersec/saker/sensor/fields"
	"github.com/sakersec/saker/sensor/rules"
)

// loginEvent is the event type of a tiny custom source.
type loginEvent struct {
	user string
	uid  uint64
}

// Sources without event types return -1.
func (*loginEvent) EventType() int { return -1 }

// loginFields compiles field references into extractors once; Extract
// only reads the event.
type loginFields struct{}

func (loginFields) NewExtractor(ref fields.Ref) (fields.Extractor, error) {
	switch ref.Field.Name {
	case "login.user":
		return fields.ExtractorFunc(func(e fields.Event, v *fields.Value) bool {
			v.Str = e.(*loginEvent).user
			return true
		}), nil
	case "login.uid":
		return fields.ExtractorFunc(func(e fields.Event, v *fields.Value) bool {
			v.Uint = e.(*loginEvent).uid
			return true
		}), nil
	}
	return nil, fmt.Errorf("no extractor for %s", ref)
}

func Example() {
	src := fields.MustSource(fields.SourceOptions{
		Name: "login",
		Fields: []fields.Field{
			{Name: "login.user", Type: fields.TypeString, Desc: "user name"},
			{Name: "login.uid", Type: fields.TypeUint, Desc: "user id"},
		},
		Extractors: loginFields{},
	})
	rs, _, err := rules.Load(rules.LoadOptions{
		Sources: fields.NewRegistry(src),
		Contents: []rules.Content{{Name: "login.yaml", Data: []byte(`
- list: admins
  items: [root, admin]
- rule: Admin login
  desc: an administrator logged in
  condition: login.user in (admins) or login.uid = 0
  output: admin login (user=%login.user uid=%login.uid)
  priority: notice
  source: login
`)}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	eng, _ := rs.NewEngine(rules.EngineOptions{
		Source:  "login",
		OnAlert: func(a *alert.Alert) { fmt.Println(a.Priority, a.Rule+":", a.Output) },
	})
	eng.Process(&loginEvent{user: "alice", uid: 1000}, time.Now())
	eng.Process(&loginEvent{user: "admin", uid: 1001}, time.Now())
	// Output:
	// Notice Admin login: admin login (user=admin uid=1001)
}
