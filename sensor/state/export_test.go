package state

import "time"

// SetBackoff changes how long an unreachable runtime is left alone and
// how long its containers wait before they are asked again, and returns
// the function that restores both.
func SetBackoff(d time.Duration) func() {
	oldRetry, oldDown := retryAfter, reprobeDown
	retryAfter, reprobeDown = d, d
	return func() { retryAfter, reprobeDown = oldRetry, oldDown }
}
