package follow_test

import (
	"fmt"
	"time"

	"github.com/sakersec/saker/artifacts/follow"
)

func ExampleParseCron() {
	c, err := follow.ParseCron("30 */4 * * 1-5") // every 4 hours at :30 on weekdays
	if err != nil {
		panic(err)
	}
	t := time.Date(2026, 1, 9, 22, 0, 0, 0, time.UTC) // a Friday evening
	fmt.Println(c.Next(t).Format("Mon 15:04"))
	// Output: Mon 00:30
}

func ExampleDiffRules() {
	v1 := []byte("- rule: Shell in container\n  condition: spawned_process and container\n- list: shells\n  items: [bash]\n")
	v2 := []byte("- rule: Shell in container\n  condition: spawned_process and container\n- rule: Netcat\n  condition: proc.name = nc\n- list: shells\n  items: [bash, zsh]\n")
	fmt.Println(follow.DiffRules(v1, v2).Summary())
	// Output: rules +1 (Netcat); lists ~1 (shells)
}
