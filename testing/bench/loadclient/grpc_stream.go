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
)

// runGRPCStream opens N StreamPrices calls of every symbol and measures the
// tick-to-client latency: arrival time minus the price's update_time (the
// exchange time of the trade; simulator and client share a clock).
func runGRPCStream(args []string) error {
	flags := flag.NewFlagSet("grpcstream", flag.ExitOnError)
	addr := flags.String("addr", "", "pricing-service gRPC address, e.g. 127.0.0.1:52052")
	subscribers := flags.Int("subscribers", 1000, "concurrent streams")
	connections := flags.Int("connections", 10, "HTTP/2 connections the streams share")
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
	clients := make([]pricingv1.PricingServiceClient, len(conns))
	for i, conn := range conns {
		clients[i] = pricingv1.NewPricingServiceClient(conn)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		latencies latencyRecorder
		messages  atomic.Int64
		failures  atomic.Int64
		measuring atomic.Bool
		connected = newConnectGate(*subscribers)
		finished  sync.WaitGroup
	)
	for i := 0; i < *subscribers; i++ {
		finished.Add(1)
		go func(client pricingv1.PricingServiceClient) {
			defer finished.Done()
			markConnected := connected.subscriber()
			defer markConnected()
			stream, err := client.StreamPrices(ctx, &pricingv1.StreamPricesRequest{Quote: "USD"})
			if err != nil {
				failures.Add(1)
				return
			}
			local := make([]time.Duration, 0, 4096)
			first := true
			for {
				event, err := stream.Recv()
				if err != nil {
					break
				}
				if first {
					markConnected()
					first = false
				}
				arrived := time.Now()
				price := event.GetPrice()
				if price == nil || !measuring.Load() {
					continue
				}
				messages.Add(1)
				local = append(local, arrived.Sub(price.GetUpdateTime().AsTime()))
			}
			latencies.merge(local)
		}(clients[i%len(clients)])
	}
	connectTime := connected.wait()
	fmt.Printf("grpcstream: %d streams on %d connections receiving in %v (%d failed)\n", *subscribers,
		*connections, connectTime.Round(time.Millisecond), failures.Load())
	elapsed, memory := measure(&measuring, *warmup, *duration, *pid)
	cancel()
	finished.Wait()
	fmt.Printf("grpcstream: %d price messages in %v (%.0f messages/s across all streams)\n",
		messages.Load(), elapsed.Round(time.Millisecond), float64(messages.Load())/elapsed.Seconds())
	fmt.Printf("grpcstream: tick-to-client latency %v\n", latencies.summary())
	memory.print("grpcstream")
	return nil
}
