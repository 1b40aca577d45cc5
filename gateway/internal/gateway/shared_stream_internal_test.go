package gateway

import (
	"fmt"
	"testing"
)

// A subscriber that never takes holds one line per key, however many are
// offered, and gives them in the order the keys became pending.
func TestSubscriberConflatesPerKey(t *testing.T) {
	sub := newSubscriber()
	for i := 0; i < 100000; i++ {
		sub.offer(1+i%7, []byte(fmt.Sprintf("%d\n", i))) // keys 1..7
		sub.offer(0, []byte("heartbeat\n"))
	}
	if len(sub.pending) != 8 || len(sub.slots) != 8 || cap(sub.pending) > 16 {
		t.Fatalf("pending %d lines (capacity %d), %d slots", len(sub.pending), cap(sub.pending), len(sub.slots))
	}
	lines, end, gone := sub.take(nil)
	if end != nil || gone {
		t.Fatalf("end %+v, gone %v", end, gone)
	}
	want := []string{"99995\n", "heartbeat\n", "99996\n", "99997\n", "99998\n", "99999\n", "99993\n", "99994\n"}
	for i, line := range lines {
		if string(line) != want[i] {
			t.Errorf("line %d: %q, want %q", i, line, want[i])
		}
	}
	if again, _, _ := sub.take(nil); len(again) != 0 {
		t.Errorf("taken twice: %q", again)
	}
	sub.offer(2, []byte("new\n"))
	if again, _, _ := sub.take(nil); len(again) != 1 || string(again[0]) != "new\n" {
		t.Errorf("after a take: %q", again)
	}
}
