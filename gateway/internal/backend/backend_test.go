package backend

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
)

func TestDefaultDeadlineAppliesOnlyWithoutOne(t *testing.T) {
	var seen time.Time
	var hadDeadline bool
	invoker := func(ctx context.Context, _ string, _, _ any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
		seen, hadDeadline = ctx.Deadline()
		return nil
	}

	before := time.Now()
	if err := defaultDeadline(context.Background(), "/m", nil, nil, nil, invoker); err != nil {
		t.Fatal(err)
	}
	if !hadDeadline || seen.Before(before.Add(UnaryTimeout-time.Second)) || seen.After(time.Now().Add(UnaryTimeout)) {
		t.Errorf("deadline %v not about %v from now", seen, UnaryTimeout)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	own, _ := ctx.Deadline()
	if err := defaultDeadline(ctx, "/m", nil, nil, nil, invoker); err != nil {
		t.Fatal(err)
	}
	if !seen.Equal(own) {
		t.Errorf("caller's deadline %v replaced by %v", own, seen)
	}
}

func TestDialDoesNotWaitForTheBackend(t *testing.T) {
	start := time.Now()
	conn, err := Dial("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Dial blocked for %v", elapsed)
	}
}
