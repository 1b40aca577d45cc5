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
	"sort"
	"strconv"
	"strings"
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

// percentiles of a set of durations.
type summary struct {
	count               int
	p50, p90, p99, max_ time.Duration
}

func summarize(samples []time.Duration) summary {
	if len(samples) == 0 {
		return summary{}
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	at := func(q float64) time.Duration {
		index := int(q * float64(len(samples)-1))
		return samples[index]
	}
	return summary{len(samples), at(0.50), at(0.90), at(0.99), samples[len(samples)-1]}
}

func (s summary) String() string {
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) }
	return fmt.Sprintf("n=%d p50=%sms p90=%sms p99=%sms max=%sms", s.count, ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max_))
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
		mu        sync.Mutex
		latencies []time.Duration
		lines     atomic.Int64
		failures  atomic.Int64
		measuring atomic.Bool
		connected sync.WaitGroup
		done      = make(chan struct{})
		finished  sync.WaitGroup
	)
	connected.Add(*subscribers)
	for i := 0; i < *subscribers; i++ {
		finished.Add(1)
		go func() {
			defer finished.Done()
			once := sync.Once{}
			markConnected := func() { once.Do(connected.Done) }
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
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	connectStart := time.Now()
	connected.Wait()
	fmt.Printf("stream: %d subscribers connected in %v (%d failed)\n", *subscribers,
		time.Since(connectStart).Round(time.Millisecond), failures.Load())
	time.Sleep(*warmup)
	memoryBefore := residentKiB(*pid)
	measuring.Store(true)
	started := time.Now()
	var memorySamples []int64
	for time.Since(started) < *duration {
		time.Sleep(min(10*time.Second, *duration-time.Since(started)))
		if *pid > 0 {
			memorySamples = append(memorySamples, residentKiB(*pid))
		}
	}
	measuring.Store(false)
	elapsed := time.Since(started)
	close(done)
	finished.Wait()
	fmt.Printf("stream: %d price lines in %v (%.0f lines/s across all subscribers)\n",
		lines.Load(), elapsed.Round(time.Millisecond), float64(lines.Load())/elapsed.Seconds())
	fmt.Printf("stream: tick-to-client latency %v\n", summarize(latencies))
	if *pid > 0 {
		fmt.Printf("stream: server RSS before %d KiB, samples every 10 s: %v KiB\n", memoryBefore, memorySamples)
	}
	return nil
}

// residentKiB reads VmRSS of a process (0 when unknown).
func residentKiB(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			fields := strings.Fields(line)
			if len(fields) >= 2 {
				value, _ := strconv.ParseInt(fields[1], 10, 64)
				return value
			}
		}
	}
	return 0
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
		mu        sync.Mutex
		latencies []time.Duration
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
			mu.Lock()
			latencies = append(latencies, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(started)
	fmt.Printf("http: %d requests in %v (%.0f req/s, %d failed, %d bytes per response)\n",
		len(latencies), elapsed.Round(time.Millisecond), float64(len(latencies))/elapsed.Seconds(),
		failures.Load(), bytes.Load()/max(1, int64(len(latencies))))
	fmt.Printf("http: latency %v\n", summarize(latencies))
	return nil
}
