// Package follow keeps installed artifacts at the newest version of the
// references it follows: on a schedule (an interval or a cron expression)
// it resolves each reference, compares the digest with the install state,
// and installs a new version atomically through [artifacts.Installer],
// logging which rules, macros and lists changed.
//
// Transient failures (network errors, 5xx, 429) never stop a [Follower]:
// the reference is retried with exponential backoff, and the registry
// client already waits out a 429's Retry-After before a request is
// repeated. Failures that a retry cannot fix (unmet requirements, a wrong
// artifact type) wait for the next scheduled check, and a digest rejected
// once is not downloaded again.
package follow
