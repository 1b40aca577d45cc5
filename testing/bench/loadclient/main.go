// Command loadclient is the load generator of the pricing benchmarks that
// ghz does not cover (or covers at a higher CPU cost per call).
//
//	loadclient stream -url URL -subscribers N -duration D
//	    N concurrent subscribers of the NDJSON price stream
//	    (/api/v1/prices/stream); reports lines received and the
//	    tick-to-client latency: arrival time minus the price's updateTime,
//	    the exchange time of the trade (simulator and client share a clock),
//	    for every line and for price moves (as grpcstream).
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
	"bytes"
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

// ndjsonEvent is what the benchmark needs of one NDJSON line.
type ndjsonEvent struct {
	heartbeat  bool
	symbol     []byte // aliases the line
	lastPrice  []byte // aliases the line
	updateTime time.Time
}

var (
	pricePrefix     = []byte(`{"result":{"price":{`)
	heartbeatPrefix = []byte(`{"result":{"heartbeat":`)
	symbolKey       = []byte(`"symbol":"`)
	lastPriceKey    = []byte(`"lastPrice":"`)
	updateTimeKey   = []byte(`"updateTime":"`)
)

// readNDJSONEvent picks the three fields the benchmark needs out of a line
// without decoding it: a full encoding/json decode of 20,000 lines a second
// would take much of the CPU the sidecar under test needs. The gateway
// writes compact protojson with these keys once per price, and symbols,
// decimals and RFC 3339 times need no escapes, so the value of each key is
// the text up to the next quote. checkNDJSONEvent verifies that on a
// sample.
func readNDJSONEvent(line []byte) (ndjsonEvent, error) {
	var event ndjsonEvent
	if bytes.HasPrefix(line, heartbeatPrefix) {
		event.heartbeat = true
		return event, nil
	}
	if !bytes.HasPrefix(line, pricePrefix) {
		return event, fmt.Errorf("line is neither a price nor a heartbeat: %.200s", line)
	}
	var stamp []byte
	for _, field := range []struct {
		key   []byte
		value *[]byte
	}{{symbolKey, &event.symbol}, {lastPriceKey, &event.lastPrice}, {updateTimeKey, &stamp}} {
		start := bytes.Index(line, field.key)
		if start < 0 {
			return event, fmt.Errorf("price line without %s: %.200s", field.key, line)
		}
		value := line[start+len(field.key):]
		end := bytes.IndexByte(value, '"')
		if end < 0 || bytes.IndexByte(value[:end], '\\') >= 0 {
			return event, fmt.Errorf("unexpected value of %s: %.200s", field.key, line)
		}
		*field.value = value[:end]
	}
	updated, err := time.Parse(time.RFC3339Nano, string(stamp))
	if err != nil {
		return event, err
	}
	event.updateTime = updated
	return event, nil
}

// checkNDJSONEvent decodes line in full and compares it with event.
func checkNDJSONEvent(line []byte, event ndjsonEvent) error {
	var parsed struct {
		Result struct {
			Price *struct {
				Symbol     string `json:"symbol"`
				Quote      string `json:"quote"`
				LastPrice  string `json:"lastPrice"`
				UpdateTime string `json:"updateTime"`
			} `json:"price"`
			Heartbeat *json.RawMessage `json:"heartbeat"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &parsed); err != nil {
		return err
	}
	if event.heartbeat {
		if parsed.Result.Heartbeat == nil {
			return fmt.Errorf("heartbeat read from the line is not one: %.200s", line)
		}
		return nil
	}
	price := parsed.Result.Price
	if price == nil {
		return fmt.Errorf("price read from a line without one: %.200s", line)
	}
	updated, err := time.Parse(time.RFC3339Nano, price.UpdateTime)
	if err != nil {
		return err
	}
	if price.Symbol != string(event.symbol) || price.LastPrice != string(event.lastPrice) ||
		!updated.Equal(event.updateTime) {
		return fmt.Errorf("fields read %q %q %v disagree with the decoded line %.200s",
			event.symbol, event.lastPrice, event.updateTime, line)
	}
	if price.LastPrice == "" || price.Quote != "USD" {
		return fmt.Errorf("implausible price: %.200s", line)
	}
	return nil
}

// runStream opens N NDJSON subscriptions of every symbol and measures the
// tick-to-client latency like runGRPCStream: for every price line and,
// apart, for the lines whose last price differs from the one the stream
// sent before for that symbol (moves).
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
		moves     latencyRecorder
		lines     atomic.Int64
		failures  atomic.Int64
		firstErr  atomic.Value
		measuring atomic.Bool
		connected = newConnectGate(*subscribers)
		done      = make(chan struct{})
		finished  sync.WaitGroup
	)
	fail := func(err error) {
		failures.Add(1)
		firstErr.CompareAndSwap(nil, err.Error())
	}
	for i := 0; i < *subscribers; i++ {
		finished.Add(1)
		go func() {
			defer finished.Done()
			markConnected := connected.subscriber()
			defer markConnected()
			response, err := client.Get(*url)
			if err != nil {
				fail(err)
				return
			}
			defer response.Body.Close()
			if response.StatusCode != http.StatusOK {
				fail(fmt.Errorf("HTTP %d", response.StatusCode))
				return
			}
			markConnected()
			ended := make(chan struct{})
			defer close(ended)
			go func() {
				select {
				case <-done:
				case <-ended:
				}
				response.Body.Close()
			}()
			reader := bufio.NewReaderSize(response.Body, 256*1024)
			recorder := newTickRecorder()
			for received := 0; ; received++ {
				// ReadSlice does not copy; a line longer than the buffer
				// is a broken stream.
				line, err := reader.ReadSlice('\n')
				if err != nil {
					select {
					case <-done: // only the end of the run may end a stream
					default:
						fail(fmt.Errorf("stream ended after %d lines: %w", received, err))
					}
					break
				}
				arrived := time.Now()
				event, err := readNDJSONEvent(line)
				if err == nil && received%64 == 0 {
					err = checkNDJSONEvent(line, event)
				}
				if err != nil {
					fail(err)
					break
				}
				if event.heartbeat {
					continue
				}
				counting := measuring.Load()
				if counting {
					lines.Add(1)
				}
				recorder.observe(string(event.symbol), string(event.lastPrice), arrived.Sub(event.updateTime), counting)
			}
			recorder.mergeInto(&latencies, &moves)
		}()
	}
	connectTime := connected.wait()
	fmt.Printf("stream: %d subscribers connected in %v (%d failed)\n", *subscribers,
		connectTime.Round(time.Millisecond), failures.Load())
	if first := firstErr.Load(); first != nil {
		fmt.Printf("stream: first error: %v\n", first)
	}
	elapsed, memory := measure(&measuring, *warmup, *duration, *pid)
	close(done)
	finished.Wait()
	fmt.Printf("stream: %d price lines in %v (%.0f lines/s across all subscribers)\n",
		lines.Load(), elapsed.Round(time.Millisecond), float64(lines.Load())/elapsed.Seconds())
	fmt.Printf("stream: tick-to-client latency %v\n", latencies.summary())
	fmt.Printf("stream: tick-to-client latency, price moves %v\n", moves.summary())
	memory.print("stream")
	if failed := failures.Load(); failed > 0 {
		return fmt.Errorf("%d subscribers failed (first: %v)", failed, firstErr.Load())
	}
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
