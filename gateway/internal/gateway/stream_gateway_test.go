package gateway_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	gatewaytestv1 "github.com/cryptotracker/cryptotracker/gateway/gen/gatewaytest/v1"
	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

// fakeTicker streams ticks. After the first tick it waits for proceed, so a
// test can prove the first line reached the client before the stream ended.
type fakeTicker struct {
	gatewaytestv1.UnimplementedTickerServiceServer
	proceed chan struct{}
}

func (f *fakeTicker) WatchTicks(req *gatewaytestv1.WatchTicksRequest, stream grpc.ServerStreamingServer[gatewaytestv1.Tick]) error {
	for sequence := int32(1); sequence <= req.GetCount(); sequence++ {
		if sequence == req.GetFailAt() {
			return status.Error(codes.Internal, "feed socket closed at 10.1.2.3")
		}
		if sequence == 2 {
			select {
			case <-f.proceed:
			case <-stream.Context().Done():
				return stream.Context().Err()
			case <-time.After(5 * time.Second):
				return status.Error(codes.DeadlineExceeded, "test never read the first tick")
			}
		}
		if err := stream.Send(&gatewaytestv1.Tick{Sequence: sequence, SymbolName: "BTC"}); err != nil {
			return err
		}
	}
	return nil
}

func startTickerGateway(t *testing.T) (*fakeTicker, string) {
	t.Helper()
	fake := &fakeTicker{proceed: make(chan struct{})}
	address, _ := startBackend(t, func(s *grpc.Server) { gatewaytestv1.RegisterTickerServiceServer(s, fake) })
	return fake, startGateway(t, tickerDefinition("gatewaytest", service.Options{}), address).URL
}

func TestServerStreamIsFlushedNDJSON(t *testing.T) {
	fake, baseURL := startTickerGateway(t)
	reply, err := http.Get(baseURL + "/api/v1/ticks/stream?count=3")
	if err != nil {
		t.Fatal(err)
	}
	defer reply.Body.Close()
	if reply.StatusCode != http.StatusOK || reply.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("got %d %q", reply.StatusCode, reply.Header.Get("Content-Type"))
	}
	lines := bufio.NewScanner(reply.Body)
	// The backend holds tick 2 back until this line has been read, so it
	// only arrives if the gateway flushes every message.
	if !lines.Scan() {
		t.Fatalf("no first line: %v", lines.Err())
	}
	if got := lines.Text(); got != `{"result":{"sequence":1,"symbolName":"BTC"}}` {
		t.Errorf("first line %q", got)
	}
	close(fake.proceed)
	var rest []string
	for lines.Scan() {
		rest = append(rest, lines.Text())
	}
	if strings.Join(rest, "\n") != `{"result":{"sequence":2,"symbolName":"BTC"}}`+"\n"+`{"result":{"sequence":3,"symbolName":"BTC"}}` {
		t.Errorf("remaining lines %q", rest)
	}
}

func TestStreamErrorAfterStartIsAnErrorLine(t *testing.T) {
	fake, baseURL := startTickerGateway(t)
	close(fake.proceed)
	reply, err := http.Get(baseURL + "/api/v1/ticks/stream?count=3&failAt=3")
	if err != nil {
		t.Fatal(err)
	}
	defer reply.Body.Close()
	if reply.StatusCode != http.StatusOK {
		t.Fatalf("got %d", reply.StatusCode)
	}
	var lines []string
	scanner := bufio.NewScanner(reply.Body)
	for scanner.Scan() {
		lines = append(lines, scanner.Text())
	}
	if len(lines) != 3 {
		t.Fatalf("lines %q", lines)
	}
	var last struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(lines[2]), &last); err != nil {
		t.Fatal(err)
	}
	if last.Error.Code != int(codes.Internal) || last.Error.Message != "internal error" {
		t.Errorf("error line %q", lines[2])
	}
}

func TestStreamFailingBeforeFirstMessageGetsHTTPStatus(t *testing.T) {
	_, baseURL := startTickerGateway(t)
	reply, err := http.Get(baseURL + "/api/v1/ticks/stream?count=1&failAt=1")
	if err != nil {
		t.Fatal(err)
	}
	defer reply.Body.Close()
	if reply.StatusCode != http.StatusInternalServerError {
		t.Errorf("got %d", reply.StatusCode)
	}
}

func TestStreamRejectsUnknownQueryParameterTypes(t *testing.T) {
	_, baseURL := startTickerGateway(t)
	reply, err := http.Get(baseURL + "/api/v1/ticks/stream?count=many")
	if err != nil {
		t.Fatal(err)
	}
	defer reply.Body.Close()
	if reply.StatusCode != http.StatusBadRequest {
		t.Errorf("got %d", reply.StatusCode)
	}
}
