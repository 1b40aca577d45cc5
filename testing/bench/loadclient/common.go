package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Helpers shared by the modes: gRPC connections, latency collection,
// connect tracking, the measurement window with its memory samples, and
// the percentile summary.

// dialConnections opens n plaintext client connections to addr. Callers
// spread their calls over them because one HTTP/2 connection serialises
// its frames and would cap the rate. closeAll closes them all.
func dialConnections(addr string, n int) (conns []*grpc.ClientConn, closeAll func(), err error) {
	if n < 1 {
		return nil, func() {}, fmt.Errorf("-connections must be at least 1, not %d", n)
	}
	conns = make([]*grpc.ClientConn, 0, n)
	closeAll = func() {
		for _, conn := range conns {
			conn.Close()
		}
	}
	for i := 0; i < n; i++ {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		conns = append(conns, conn)
	}
	return conns, closeAll, nil
}

// latencyRecorder collects the latencies of many goroutines. Each appends
// to a slice of its own and merges it once when done, so that the hot
// path takes no lock.
type latencyRecorder struct {
	mu      sync.Mutex
	samples []time.Duration
}

func (r *latencyRecorder) merge(local []time.Duration) {
	r.mu.Lock()
	r.samples = append(r.samples, local...)
	r.mu.Unlock()
}

// tickRecorder is one subscriber's tick-to-client latencies: of every
// price, and apart of the moves, the prices whose last price differs from
// the one this subscriber got before for that symbol.
type tickRecorder struct {
	all, moves []time.Duration
	lastPrice  map[string]string
}

func newTickRecorder() *tickRecorder {
	return &tickRecorder{
		all:       make([]time.Duration, 0, 4096),
		moves:     make([]time.Duration, 0, 4096),
		lastPrice: map[string]string{},
	}
}

// observe notes a price that arrived `latency` after its update time; it
// only counts while measuring, but every price sets what a move is.
func (r *tickRecorder) observe(symbol, lastPrice string, latency time.Duration, measuring bool) {
	previous, seen := r.lastPrice[symbol]
	moved := seen && previous != lastPrice
	if !seen || moved {
		r.lastPrice[symbol] = lastPrice
	}
	if !measuring {
		return
	}
	r.all = append(r.all, latency)
	if moved {
		r.moves = append(r.moves, latency)
	}
}

func (r *tickRecorder) mergeInto(all, moves *latencyRecorder) {
	all.merge(r.all)
	moves.merge(r.moves)
}

// summary sorts the merged samples; call it after every goroutine merged.
func (r *latencyRecorder) summary() summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return summarize(r.samples)
}

// connectGate waits until each of n subscribers has received its first
// data or given up.
type connectGate struct {
	wg sync.WaitGroup
}

func newConnectGate(n int) *connectGate {
	g := &connectGate{}
	g.wg.Add(n)
	return g
}

// subscriber returns the function one subscriber calls when connected (or
// defers, for when it fails); calls after the first do nothing.
func (g *connectGate) subscriber() func() {
	var once sync.Once
	return func() { once.Do(g.wg.Done) }
}

// wait returns how long it waited for every subscriber.
func (g *connectGate) wait() time.Duration {
	started := time.Now()
	g.wg.Wait()
	return time.Since(started)
}

// memoryReport is the server's resident memory over a measurement.
type memoryReport struct {
	pid     int
	before  int64
	samples []int64
}

// print writes the memory line of the stream modes (nothing without -pid).
func (m memoryReport) print(mode string) {
	if m.pid > 0 {
		fmt.Printf("%s: server RSS before %d KiB, samples every 10 s: %v KiB\n", mode, m.before, m.samples)
	}
}

// measure waits out warmup, then sets measuring for duration and returns
// the measured time. With pid > 0 it reads the process's resident memory
// at the start and every 10 s.
func measure(measuring *atomic.Bool, warmup, duration time.Duration, pid int) (time.Duration, memoryReport) {
	time.Sleep(warmup)
	memory := memoryReport{pid: pid, before: residentKiB(pid)}
	measuring.Store(true)
	started := time.Now()
	for time.Since(started) < duration {
		time.Sleep(min(10*time.Second, duration-time.Since(started)))
		if pid > 0 {
			memory.samples = append(memory.samples, residentKiB(pid))
		}
	}
	measuring.Store(false)
	return time.Since(started), memory
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
