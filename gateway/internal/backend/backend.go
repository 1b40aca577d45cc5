// Package backend opens the gateway's gRPC connection to its service.
package backend

import (
	"context"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	"github.com/cryptotracker/cryptotracker/gateway/internal/wirejson"
)

const (
	// UnaryTimeout is the deadline given to unary calls that have none, so a
	// hung backend cannot hold HTTP requests open forever. Streams get none.
	UnaryTimeout = 30 * time.Second

	// keepaliveTime is above the 5 minute minimum ping interval that gRPC
	// C++ servers enforce by default; pinging more often makes them close
	// the connection (GOAWAY "too_many_pings").
	keepaliveTime    = 6 * time.Minute
	keepaliveTimeout = 20 * time.Second

	maxReceiveMessageBytes = 16 << 20
	maxSendMessageBytes    = 16 << 20
)

// Dial returns a client connection to target (host:port on the same host,
// so plaintext). It does not wait for the backend: the connection is made in
// the background and retried with backoff, and calls fail fast with
// UNAVAILABLE (HTTP 503) until the backend is up. extra options come after
// these (e.g. the gateway's codec).
func Dial(target string, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	options := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                keepaliveTime,
			Timeout:             keepaliveTimeout,
			PermitWithoutStream: false,
		}),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(maxReceiveMessageBytes),
			grpc.MaxCallSendMsgSize(maxSendMessageBytes),
		),
		grpc.WithChainUnaryInterceptor(defaultDeadline, lazyRouteAnswers),
	}
	conn, err := grpc.NewClient(target, append(options, extra...)...)
	if err != nil {
		return nil, err
	}
	conn.Connect() // start connecting now rather than on the first call
	return conn, nil
}

// lazyRouteAnswers receives the answers of the HTTP routes undecoded
// (wirejson.LazyCodec): the gateway's marshaler writes their JSON from the
// wire bytes, and nothing else on a route reads them. grpc-gateway names
// the method in the context of exactly the calls its routes make; the
// gateway's own calls (health) are decoded as usual. Answers to requests
// the gateway marked public (wirejson.WithCacheable) may be cached.
func lazyRouteAnswers(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if _, fromRoute := runtime.RPCMethod(ctx); fromRoute {
		if wirejson.Cacheable(ctx) {
			opts = append(opts, cacheableLazyCodec)
		} else {
			opts = append(opts, privateLazyCodec)
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

var (
	cacheableLazyCodec = grpc.ForceCodecV2(wirejson.LazyCodec(true))
	privateLazyCodec   = grpc.ForceCodecV2(wirejson.LazyCodec(false))
)

// defaultDeadline applies UnaryTimeout to calls without a deadline.
func defaultDeadline(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, UnaryTimeout)
		defer cancel()
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}
