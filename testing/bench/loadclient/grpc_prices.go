package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

const getPricesMethod = "/cryptotracker.pricing.v1.PricingService/GetPrices"

// bytesCodec passes messages through as already-encoded protobuf bytes. It
// keeps the name "proto" so that the content type is the usual one.
type bytesCodec struct{}

func (bytesCodec) Name() string { return "proto" }

func (bytesCodec) Marshal(v any) ([]byte, error) {
	encoded, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("bytesCodec cannot marshal %T", v)
	}
	return encoded, nil
}

func (bytesCodec) Unmarshal(data []byte, v any) error {
	target, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("bytesCodec cannot unmarshal into %T", v)
	}
	// gRPC may reuse data's buffer after this returns.
	*target = append((*target)[:0], data...)
	return nil
}

// runGRPCPrices calls GetPrices as fast as -concurrency callers allow, over
// -connections HTTP/2 connections. Client and server share the two cores,
// so the client's CPU per call caps what can be measured: ghz (dynamic
// messages) spends several times the server's CPU per call, and even the
// compiled Go types spend more decoding 20 prices than the server spends
// answering. With -decode=sampled (the default) the request is encoded
// once and responses are taken as bytes, and every 64th is decoded and
// checked in full (one price per requested symbol, in request order);
// -decode=all decodes and checks every response.
func runGRPCPrices(args []string) error {
	flags := flag.NewFlagSet("grpcprices", flag.ExitOnError)
	addr := flags.String("addr", "", "pricing-service gRPC address, e.g. 127.0.0.1:52052")
	symbolList := flags.String("symbols", "", "comma-separated symbols (empty: every asset)")
	quote := flags.String("quote", "USD", "quote currency")
	concurrency := flags.Int("concurrency", 16, "concurrent callers")
	connections := flags.Int("connections", 2, "HTTP/2 connections the callers share")
	duration := flags.Duration("duration", 20*time.Second, "measurement time")
	warmup := flags.Duration("warmup", 2*time.Second, "calls before measuring")
	decode := flags.String("decode", "sampled", "sampled (every 64th response) or all")
	flags.Parse(args)
	if *addr == "" {
		return errors.New("-addr is required")
	}
	var symbols []string
	if *symbolList != "" {
		symbols = strings.Split(*symbolList, ",")
	}
	conns, closeConns, err := dialConnections(*addr, *connections)
	if err != nil {
		return err
	}
	defer closeConns()
	if *decode != "sampled" && *decode != "all" {
		return fmt.Errorf("-decode must be sampled or all, not %q", *decode)
	}
	request := &pricingv1.GetPricesRequest{Symbols: symbols, Quote: *quote}
	encoded, err := proto.Marshal(request)
	if err != nil {
		return err
	}
	check := func(response *pricingv1.GetPricesResponse) error {
		if len(symbols) == 0 {
			if len(response.GetPrices()) == 0 {
				return errors.New("no prices")
			}
			return nil
		}
		if len(response.GetPrices()) != len(symbols) {
			return fmt.Errorf("%d prices for %d symbols", len(response.GetPrices()), len(symbols))
		}
		for i, price := range response.GetPrices() {
			if price.GetSymbol() != symbols[i] || price.GetLastPrice() == "" {
				return fmt.Errorf("price %d is %q (%q), want %s", i, price.GetSymbol(), price.GetLastPrice(), symbols[i])
			}
		}
		return nil
	}

	var (
		measuring atomic.Bool
		stop      atomic.Bool
		failures  atomic.Int64
		firstErr  atomic.Value
		latencies latencyRecorder
		wg        sync.WaitGroup
	)
	for i := 0; i < *concurrency; i++ {
		wg.Add(1)
		go func(conn *grpc.ClientConn) {
			defer wg.Done()
			client := pricingv1.NewPricingServiceClient(conn)
			local := make([]time.Duration, 0, 1<<16)
			for calls := 0; !stop.Load(); calls++ {
				started := time.Now()
				var err error
				if *decode == "all" {
					var response *pricingv1.GetPricesResponse
					if response, err = client.GetPrices(context.Background(), request); err == nil {
						err = check(response)
					}
				} else {
					var raw []byte
					err = conn.Invoke(context.Background(), getPricesMethod, encoded, &raw, grpc.ForceCodec(bytesCodec{}))
					if err == nil && calls%64 == 0 {
						response := &pricingv1.GetPricesResponse{}
						if err = proto.Unmarshal(raw, response); err == nil {
							err = check(response)
						}
					}
				}
				elapsed := time.Since(started)
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				if measuring.Load() {
					local = append(local, elapsed)
				}
			}
			latencies.merge(local)
		}(conns[i%len(conns)])
	}
	elapsed, _ := measure(&measuring, *warmup, *duration, 0)
	stop.Store(true)
	wg.Wait()

	s := latencies.summary()
	fmt.Printf("GetPrices (%d symbols, %s, decode %s): %d calls in %.1fs = %.0f calls/s, %d failed\n",
		len(symbols), *quote, *decode, s.count, elapsed.Seconds(), float64(s.count)/elapsed.Seconds(), failures.Load())
	fmt.Printf("latency: %s\n", s)
	if failures.Load() > 0 {
		return fmt.Errorf("%d calls failed, first: %v", failures.Load(), firstErr.Load())
	}
	return nil
}
