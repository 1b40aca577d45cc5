// Command loadclient is the load generator of the pricing benchmarks that
// ghz does not cover (or covers at a higher CPU cost per call).
//
//	loadclient stream -url URL -subscribers N -duration D
//	    N concurrent subscribers of the NDJSON price stream
//	    (/api/v1/prices/stream); reports lines received and the
//	    tick-to-client latency: arrival time minus the price's updateTime,
//	    the exchange time of the trade (simulator and client share a clock).
//	    Also samples the server's resident memory (-pid) over the run.
//
//	loadclient grpcstream -addr HOST:PORT -subscribers N -duration D
//	    the same over gRPC (StreamPrices), N streams over -connections
//	    HTTP/2 connections: the service itself, without the gateway.
//
//	loadclient grpcprices -addr HOST:PORT -symbols A,B,.. -concurrency C -duration D
//	    GetPrices as fast as C callers allow, with compiled protobuf types;
//	    reports calls/s and latency percentiles.
//
//	loadclient http -url URL -concurrency C -duration D
//	    repeated GETs of one URL (e.g. 1,000 hourly candles); reports
//	    requests/s and latency percentiles.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadclient stream|grpcstream|grpcprices|http [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "stream":
		err = runStream(os.Args[2:])
	case "http":
		err = runHTTP(os.Args[2:])
	case "grpcstream":
		err = runGRPCStream(os.Args[2:])
	case "grpcprices":
		err = runGRPCPrices(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q (stream, grpcstream, grpcprices or http)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadclient:", err)
		os.Exit(1)
	}
}

func newTransport(connections int) *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        connections,
		MaxIdleConnsPerHost: connections,
		MaxConnsPerHost:     connections,
		DisableCompression:  true,
	}
}

// ---- stream mode ---------------------------------------------------------

type streamLine struct {
	Result struct {
		Price *struct {
			Symbol     string `json:"symbol"`
			UpdateTime string `json:"updateTime"`
		} `json:"price"`
	} `json:"result"`
}

func runStream(args []string) error {
	flags := flag.NewFlagSet("stream", flag.ExitOnError)
	url := flags.String("url", "", "stream URL, e.g. http://127.0.0.1:16002/api/v1/prices/stream")
	subscribers := flags.Int("subscribers", 1000, "concurrent subscribers")
	duration := flags.Duration("duration", 60*time.Second, "measurement time after all are connected")
	warmup := flags.Duration("warmup", 5*time.Second, "time after connecting before measuring")
	pid := flags.Int("pid", 0, "server process whose resident memory to sample (0: none)")
	flags.Parse(args)
	if *url == "" {
		return errors.New("-url is required")
	}
	client := &http.Client{Transport: newTransport(*subscribers)}

	var (
		latencies latencyRecorder
		lines     atomic.Int64
		failures  atomic.Int64
		measuring atomic.Bool
		connected = newConnectGate(*subscribers)
		done      = make(chan struct{})
		finished  sync.WaitGroup
	)
	for i := 0; i < *subscribers; i++ {
		finished.Add(1)
		go func() {
			defer finished.Done()
			markConnected := connected.subscriber()
			defer markConnected()
			response, err := client.Get(*url)
			if err != nil {
				failures.Add(1)
				return
			}
			defer response.Body.Close()
			if response.StatusCode != http.StatusOK {
				failures.Add(1)
				return
			}
			markConnected()
			go func() { <-done; response.Body.Close() }()
			reader := bufio.NewReaderSize(response.Body, 64*1024)
			local := make([]time.Duration, 0, 4096)
			for {
				line, err := reader.ReadBytes('\n')
				if err != nil {
					break
				}
				arrived := time.Now()
				if !measuring.Load() {
					continue
				}
				var parsed streamLine
				if json.Unmarshal(line, &parsed) != nil || parsed.Result.Price == nil {
					continue
				}
				updated, err := time.Parse(time.RFC3339Nano, parsed.Result.Price.UpdateTime)
				if err != nil {
					continue
				}
				lines.Add(1)
				local = append(local, arrived.Sub(updated))
			}
			latencies.merge(local)
		}()
	}
	connectTime := connected.wait()
	fmt.Printf("stream: %d subscribers connected in %v (%d failed)\n", *subscribers,
		connectTime.Round(time.Millisecond), failures.Load())
	elapsed, memory := measure(&measuring, *warmup, *duration, *pid)
	close(done)
	finished.Wait()
	fmt.Printf("stream: %d price lines in %v (%.0f lines/s across all subscribers)\n",
		lines.Load(), elapsed.Round(time.Millisecond), float64(lines.Load())/elapsed.Seconds())
	fmt.Printf("stream: tick-to-client latency %v\n", latencies.summary())
	memory.print("stream")
	return nil
}

// ---- http mode -----------------------------------------------------------

func runHTTP(args []string) error {
	flags := flag.NewFlagSet("http", flag.ExitOnError)
	url := flags.String("url", "", "URL to GET")
	concurrency := flags.Int("concurrency", 4, "requests in flight")
	duration := flags.Duration("duration", 20*time.Second, "how long to send")
	warmup := flags.Int("warmup", 20, "requests before measuring")
	flags.Parse(args)
	if *url == "" {
		return errors.New("-url is required")
	}
	client := &http.Client{Transport: newTransport(*concurrency), Timeout: 10 * time.Second}
	get := func() (time.Duration, int, error) {
		started := time.Now()
		response, err := client.Get(*url)
		if err != nil {
			return 0, 0, err
		}
		size, err := io.Copy(io.Discard, response.Body)
		response.Body.Close()
		if response.StatusCode != http.StatusOK {
			return 0, 0, fmt.Errorf("HTTP %d", response.StatusCode)
		}
		return time.Since(started), int(size), err
	}
	for i := 0; i < *warmup; i++ {
		if _, _, err := get(); err != nil {
			return fmt.Errorf("warm-up request: %w", err)
		}
	}
	var (
		latencies latencyRecorder
		failures  atomic.Int64
		bytes     atomic.Int64
		wg        sync.WaitGroup
	)
	deadline := time.Now().Add(*duration)
	started := time.Now()
	for i := 0; i < *concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := []time.Duration{}
			for time.Now().Before(deadline) {
				latency, size, err := get()
				if err != nil {
					failures.Add(1)
					continue
				}
				bytes.Add(int64(size))
				local = append(local, latency)
			}
			latencies.merge(local)
		}()
	}
	wg.Wait()
	elapsed := time.Since(started)
	s := latencies.summary()
	fmt.Printf("http: %d requests in %v (%.0f req/s, %d failed, %d bytes per response)\n",
		s.count, elapsed.Round(time.Millisecond), float64(s.count)/elapsed.Seconds(),
		failures.Load(), bytes.Load()/max(1, int64(s.count)))
	fmt.Printf("http: latency %v\n", s)
	return nil
}
