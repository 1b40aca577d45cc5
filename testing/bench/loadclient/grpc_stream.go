package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

const streamPricesMethod = "/cryptotracker.pricing.v1.PricingService/StreamPrices"

// openRawStream starts StreamPrices with an encoded request; its messages
// are received as bytes (bytesCodec), so that decoding 40,000 messages a
// second in full does not take the CPU the server under test needs.
func openRawStream(ctx context.Context, conn *grpc.ClientConn, request []byte) (grpc.ClientStream, error) {
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, streamPricesMethod,
		grpc.ForceCodec(bytesCodec{}))
	if err != nil {
		return nil, err
	}
	if err := stream.SendMsg(request); err != nil {
		return nil, err
	}
	return stream, stream.CloseSend()
}

// streamEvent is what the benchmark needs of a StreamPricesResponse.
type streamEvent struct {
	heartbeat  bool
	symbol     string
	lastPrice  string
	updateTime time.Time
}

// readStreamEvent reads the fields the benchmark needs straight from the
// wire format (field numbers from pricing_service.proto).
func readStreamEvent(raw []byte) (streamEvent, error) {
	var event streamEvent
	price, found, err := wireField(raw, 1) // StreamPricesResponse.price
	if err != nil {
		return event, err
	}
	if !found {
		if _, found, err = wireField(raw, 2); err != nil || !found { // heartbeat
			return event, fmt.Errorf("stream message is neither a price nor a heartbeat (%v)", err)
		}
		event.heartbeat = true
		return event, nil
	}
	symbol, _, err := wireField(price, 1) // Price.symbol
	if err != nil {
		return event, err
	}
	last, _, err := wireField(price, 6) // Price.last_price
	if err != nil {
		return event, err
	}
	stamp, found, err := wireField(price, 15) // Price.update_time
	if err != nil || !found {
		return event, fmt.Errorf("price without update_time (%v)", err)
	}
	var seconds, nanos uint64
	for len(stamp) > 0 {
		number, kind, n := protowire.ConsumeTag(stamp)
		if n < 0 || kind != protowire.VarintType {
			return event, errors.New("malformed update_time")
		}
		value, m := protowire.ConsumeVarint(stamp[n:])
		if m < 0 {
			return event, errors.New("malformed update_time")
		}
		switch number {
		case 1:
			seconds = value
		case 2:
			nanos = value
		}
		stamp = stamp[n+m:]
	}
	event.symbol = string(symbol)
	event.lastPrice = string(last)
	event.updateTime = time.Unix(int64(seconds), int64(nanos))
	return event, nil
}

// wireField returns the last length-delimited field `number` of an encoded
// message.
func wireField(message []byte, number protowire.Number) ([]byte, bool, error) {
	var value []byte
	found := false
	for len(message) > 0 {
		got, kind, n := protowire.ConsumeTag(message)
		if n < 0 {
			return nil, false, protowire.ParseError(n)
		}
		m := protowire.ConsumeFieldValue(got, kind, message[n:])
		if m < 0 {
			return nil, false, protowire.ParseError(m)
		}
		if got == number && kind == protowire.BytesType {
			value, _ = protowire.ConsumeBytes(message[n:])
			found = true
		}
		message = message[n+m:]
	}
	return value, found, nil
}

// checkStreamEvent decodes `raw` in full and compares it with `event`.
func checkStreamEvent(raw []byte, event streamEvent) error {
	message := &pricingv1.StreamPricesResponse{}
	if err := proto.Unmarshal(raw, message); err != nil {
		return err
	}
	if event.heartbeat {
		if message.GetHeartbeat() == nil {
			return errors.New("heartbeat read from the wire is not one")
		}
		return nil
	}
	price := message.GetPrice()
	if price.GetSymbol() != event.symbol || price.GetLastPrice() != event.lastPrice ||
		!price.GetUpdateTime().AsTime().Equal(event.updateTime) {
		return fmt.Errorf("wire read %+v disagrees with the decoded price %v", event, price)
	}
	if price.GetLastPrice() == "" || price.GetQuote() != "USD" {
		return fmt.Errorf("implausible price %v", price)
	}
	return nil
}

// runGRPCStream opens N StreamPrices calls of every symbol and measures the
// tick-to-client latency: arrival time minus the price's update_time (the
// exchange time of the trade; simulator and client share a clock). It is
// reported for every message and, apart, for the messages whose last price
// differs from the one the stream sent before for that symbol (moves): the
// service sends those at once and holds an update that leaves the price as
// it was (24-hour figures, a trade at the same price) for the next move, up
// to its detail hold.
func runGRPCStream(args []string) error {
	flags := flag.NewFlagSet("grpcstream", flag.ExitOnError)
	addr := flags.String("addr", "", "pricing-service gRPC address, e.g. 127.0.0.1:52052")
	subscribers := flags.Int("subscribers", 1000, "concurrent streams")
	// Two, as behind two REST sidecars: a sidecar is one gRPC client
	// connection carrying the streams of all its subscribers.
	connections := flags.Int("connections", 2, "HTTP/2 connections the streams share")
	duration := flags.Duration("duration", 60*time.Second, "measurement time after all are connected")
	warmup := flags.Duration("warmup", 5*time.Second, "time after connecting before measuring")
	pid := flags.Int("pid", 0, "server process whose resident memory to sample (0: none)")
	flags.Parse(args)
	if *addr == "" {
		return errors.New("-addr is required")
	}
	conns, closeConns, err := dialConnections(*addr, *connections)
	if err != nil {
		return err
	}
	defer closeConns()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		latencies latencyRecorder
		moves     latencyRecorder
		messages  atomic.Int64
		failures  atomic.Int64
		firstErr  atomic.Value
		measuring atomic.Bool
		connected = newConnectGate(*subscribers)
		finished  sync.WaitGroup
	)
	request, err := proto.Marshal(&pricingv1.StreamPricesRequest{Quote: "USD"})
	if err != nil {
		return err
	}
	for i := 0; i < *subscribers; i++ {
		finished.Add(1)
		go func(conn *grpc.ClientConn) {
			defer finished.Done()
			markConnected := connected.subscriber()
			defer markConnected()
			stream, err := openRawStream(ctx, conn, request)
			if err != nil {
				failures.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			recorder := newTickRecorder()
			var raw []byte
			for received := 0; ; received++ {
				if err := stream.RecvMsg(&raw); err != nil {
					// Only the end of the run may end a stream.
					if ctx.Err() == nil {
						failures.Add(1)
						firstErr.CompareAndSwap(nil, fmt.Sprintf("stream ended after %d messages: %v", received, err))
					}
					break
				}
				arrived := time.Now()
				if received == 0 {
					markConnected()
				}
				event, err := readStreamEvent(raw)
				if err == nil && received%64 == 0 {
					err = checkStreamEvent(raw, event)
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					break
				}
				if event.heartbeat {
					continue
				}
				counting := measuring.Load()
				if counting {
					messages.Add(1)
				}
				recorder.observe(event.symbol, event.lastPrice, arrived.Sub(event.updateTime), counting)
			}
			recorder.mergeInto(&latencies, &moves)
		}(conns[i%len(conns)])
	}
	connectTime := connected.wait()
	fmt.Printf("grpcstream: %d streams on %d connections receiving in %v (%d failed)\n", *subscribers,
		*connections, connectTime.Round(time.Millisecond), failures.Load())
	if first := firstErr.Load(); first != nil {
		fmt.Printf("grpcstream: first error: %v\n", first)
	}
	elapsed, memory := measure(&measuring, *warmup, *duration, *pid)
	cancel()
	finished.Wait()
	fmt.Printf("grpcstream: %d price messages in %v (%.0f messages/s across all streams)\n",
		messages.Load(), elapsed.Round(time.Millisecond), float64(messages.Load())/elapsed.Seconds())
	fmt.Printf("grpcstream: tick-to-client latency, every message %v\n", latencies.summary())
	fmt.Printf("grpcstream: tick-to-client latency, price moves %v\n", moves.summary())
	memory.print("grpcstream")
	if failed := failures.Load(); failed > 0 {
		return fmt.Errorf("%d streams failed (first: %v)", failed, firstErr.Load())
	}
	return nil
}
