package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/cryptotracker/cryptotracker/gateway/internal/service"
)

// Shared server streams (service.Options.SharedStreams).
//
// The generated route of a server-streaming method opens one upstream call
// per HTTP subscriber and encodes every message once per subscriber. For a
// declared method, subscribers whose requests are equal share one upstream
// call instead (a hub): each message is encoded once into the NDJSON line
// the generated route would write, and offered to every subscriber.
//
// A subscriber never queues: it holds at most one pending line per
// conflation key, the latest, so a slow client costs a bounded amount of
// memory and never holds up the hub or the other subscribers. Its own
// goroutine (the request's) writes whatever is pending in one Write and
// one Flush.
//
// What a client sees is what the generated route gives it: the same
// headers, the same lines, and the same error responses, except that a
// slow client skips superseded messages and that one joining a running hub
// first gets the latest line of every key (the current state, as a new
// upstream call would start with).

// noPathParameters is the query filter of a route without path parameters
// or body, as the generated code builds it.
var noPathParameters = utilities.NewDoubleArray(nil)

// sharedStreamRoute serves one declared route.
type sharedStreamRoute struct {
	method   string
	request  protoreflect.MessageType
	response protoreflect.MessageType
	// key is the conflation key's field path, outermost first.
	key []protoreflect.FieldDescriptor

	conn *grpc.ClientConn
	// ctx is the parent of every upstream call: the gateway's lifetime,
	// never a subscriber's.
	ctx       context.Context
	marshaler *jsonMarshaler
	errs      *errorWriter
	logger    *slog.Logger

	// mu guards hubs and, nested inside it, the membership and lifetime of
	// each hub (lock order: route, hub, subscriber).
	mu   sync.Mutex
	hubs map[string]*streamHub
}

// newSharedStreamRoutes resolves the declarations, keyed by HTTP path.
func newSharedStreamRoutes(ctx context.Context, declared []service.SharedStream, conn *grpc.ClientConn,
	marshaler *jsonMarshaler, errs *errorWriter, logger *slog.Logger) (map[string]*sharedStreamRoute, error) {
	routes := make(map[string]*sharedStreamRoute, len(declared))
	for _, declaration := range declared {
		method, key, err := declaration.Describe()
		if err != nil {
			return nil, err
		}
		request, err := protoregistry.GlobalTypes.FindMessageByName(method.Input().FullName())
		if err != nil {
			return nil, fmt.Errorf("shared stream %q: %w", declaration.Path, err)
		}
		response, err := protoregistry.GlobalTypes.FindMessageByName(method.Output().FullName())
		if err != nil {
			return nil, fmt.Errorf("shared stream %q: %w", declaration.Path, err)
		}
		routes[declaration.Path] = &sharedStreamRoute{
			method:   declaration.Method,
			request:  request,
			response: response,
			key:      key,
			conn:     conn,
			// Shutting the gateway down must not end the streams early:
			// like the generated routes, they last until their clients
			// leave or the server cuts the connections.
			ctx:       context.WithoutCancel(ctx),
			marshaler: marshaler,
			errs:      errs,
			logger:    logger,
			hubs:      map[string]*streamHub{},
		}
	}
	return routes, nil
}

// withSharedStreams answers GET on the shared routes; everything else,
// other methods on those paths included, goes to next (the generated
// routes), which answers as it always did.
func withSharedStreams(routes map[string]*sharedStreamRoute, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			if route, found := routes[r.URL.Path]; found {
				route.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP parses the request as the generated handler does, joins the hub
// of equal requests and writes its lines until the stream or the client
// ends.
func (s *sharedStreamRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	request := s.request.New().Interface()
	if err := r.ParseForm(); err != nil {
		s.errs.handleError(ctx, nil, nil, w, r, status.Errorf(codes.InvalidArgument, "%v", err))
		return
	}
	if err := runtime.PopulateQueryParameters(request, r.Form, noPathParameters); err != nil {
		s.errs.handleError(ctx, nil, nil, w, r, status.Errorf(codes.InvalidArgument, "%v", err))
		return
	}
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	// Equal requests encode to equal bytes; the order of repeated values
	// is kept, as it is part of the request.
	key, err := proto.MarshalOptions{Deterministic: true}.Marshal(request)
	if err != nil {
		s.errs.handleError(ctx, nil, nil, w, r, status.Error(codes.Internal, err.Error()))
		return
	}
	subscriber := newSubscriber()
	hub := s.join(string(key), request, r, subscriber)
	defer s.leave(hub, subscriber)
	s.serveSubscriber(w, r, subscriber)
}

// streamEnd is how a hub's upstream call ended.
type streamEnd struct {
	// err is nil when the stream ended normally.
	err error
	// beforeHeader: the call failed before the backend sent its response
	// headers, where the generated route answers through the error
	// handler; afterwards it writes an {"error": ...} line.
	beforeHeader bool
	// public is the status shown to clients and errorLine its NDJSON line
	// (after headers only).
	public    *status.Status
	errorLine []byte
}

// streamHub is one upstream call and its subscribers.
type streamHub struct {
	route  *sharedStreamRoute
	key    string
	cancel context.CancelFunc

	mu          sync.Mutex
	subscribers map[*subscriber]struct{}
	// keyIDs numbers the conflation keys seen so far, so that subscribers
	// index their pending lines by a small integer instead of hashing the
	// key once per subscriber.
	keyIDs map[string]int
	// latest is the last line of every key by id (nil for the empty key,
	// which is not replayed); latestOrder the ids of the non-empty keys
	// in the order they first appeared.
	latest      [][]byte
	latestOrder []int
	// closed: the hub has left route.hubs and takes no more subscribers.
	closed bool
}

// join adds subscriber to the hub of key, opening one if there is none.
func (s *sharedStreamRoute) join(key string, request proto.Message, r *http.Request, sub *subscriber) *streamHub {
	s.mu.Lock()
	defer s.mu.Unlock()
	hub := s.hubs[key]
	if hub == nil {
		ctx, cancel := context.WithCancel(s.ctx)
		hub = &streamHub{route: s, key: key, cancel: cancel,
			subscribers: map[*subscriber]struct{}{}, keyIDs: map[string]int{}}
		s.hubs[key] = hub
		// The upstream call outlives the subscriber that opened it, so it
		// gets its own request id; the log line ties the two together.
		upstreamID := newRequestID()
		ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", upstreamID)
		s.logger.LogAttrs(r.Context(), slog.LevelInfo, "shared stream opened",
			slog.String("path", r.URL.Path),
			slog.String("request_id", r.Header.Get(requestIDHeader)),
			slog.String("upstream_request_id", upstreamID))
		go hub.receive(ctx, request)
	}
	hub.mu.Lock()
	hub.subscribers[sub] = struct{}{}
	for _, id := range hub.latestOrder {
		sub.offer(id, hub.latest[id])
	}
	hub.mu.Unlock()
	return hub
}

// leave removes subscriber; the last one to leave ends the upstream call.
func (s *sharedStreamRoute) leave(hub *streamHub, sub *subscriber) {
	s.mu.Lock()
	hub.mu.Lock()
	delete(hub.subscribers, sub)
	last := len(hub.subscribers) == 0 && !hub.closed
	if last {
		hub.closed = true
		if s.hubs[hub.key] == hub {
			delete(s.hubs, hub.key)
		}
	}
	hub.mu.Unlock()
	s.mu.Unlock()
	if last {
		hub.cancel()
	}
}

// receive runs the upstream call until it ends, then ends the hub.
func (h *streamHub) receive(ctx context.Context, request proto.Message) {
	s := h.route
	stream, err := s.conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, s.method)
	if err == nil {
		err = stream.SendMsg(request)
	}
	if err == nil {
		err = stream.CloseSend()
	}
	if err == nil {
		// As the generated handler: a failure before the response headers
		// (a trailers-only error such as INVALID_ARGUMENT) is an HTTP error.
		_, err = stream.Header()
	}
	if err != nil {
		h.finish(streamEnd{err: err, beforeHeader: true})
		return
	}
	for {
		response := s.response.New().Interface()
		if err := stream.RecvMsg(response); err != nil {
			switch {
			case errors.Is(err, io.EOF):
				h.finish(streamEnd{})
			case ctx.Err() != nil:
				// Canceled by leave: nobody is left to tell or to log for.
				h.finish(streamEnd{err: err})
			default:
				h.finish(s.streamError(ctx, err))
			}
			return
		}
		// Exactly what runtime.ForwardResponseStream writes per message.
		line, err := s.marshaler.Marshal(map[string]any{"result": response})
		if err != nil {
			h.finish(s.streamError(ctx, err))
			return
		}
		h.publish(s.conflationKey(response), append(line, '\n'))
	}
}

// streamError renders an error after the response headers once for all
// subscribers, as runtime.ForwardResponseStream renders it for one.
func (s *sharedStreamRoute) streamError(ctx context.Context, err error) streamEnd {
	public := s.errs.handleStreamError(ctx, err)
	line, marshalErr := s.marshaler.Marshal(map[string]proto.Message{"error": public.Proto()})
	if marshalErr != nil {
		line = nil // the generated route writes nothing either
	} else {
		line = append(line, '\n')
	}
	return streamEnd{err: err, public: public, errorLine: line}
}

// conflationKey is the value of the declared key field, or "" when a
// message on the path is unset.
func (s *sharedStreamRoute) conflationKey(response proto.Message) string {
	message := response.ProtoReflect()
	for i, field := range s.key {
		if !message.Has(field) {
			return ""
		}
		value := message.Get(field)
		if i == len(s.key)-1 {
			return value.String()
		}
		message = value.Message()
	}
	return ""
}

// publish remembers line as the latest of key and offers it to every
// subscriber.
func (h *streamHub) publish(key string, line []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, seen := h.keyIDs[key]
	if !seen {
		id = len(h.keyIDs)
		h.keyIDs[key] = id
		h.latest = append(h.latest, nil)
		if key != "" {
			h.latestOrder = append(h.latestOrder, id)
		}
	}
	if key != "" {
		h.latest[id] = line
	}
	for sub := range h.subscribers {
		sub.offer(id, line)
	}
}

// finish ends the hub: it leaves the route, so the next subscriber opens a
// new upstream call, and every subscriber gets end after its pending lines.
func (h *streamHub) finish(end streamEnd) {
	s := h.route
	s.mu.Lock()
	if s.hubs[h.key] == h {
		delete(s.hubs, h.key)
	}
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		for sub := range h.subscribers {
			sub.finish(end)
		}
	}
	h.mu.Unlock()
	s.mu.Unlock()
	h.cancel()
}

// subscriber is the pending output of one HTTP client.
type subscriber struct {
	mu sync.Mutex
	// pending holds at most one line per conflation key, in the order the
	// keys became pending; slots[id] is 1 + the index in pending of the
	// line of key id, 0 if none is pending.
	pending []pendingLine
	slots   []int32
	end     *streamEnd
	// gone: the client left.
	gone bool
	// wake has room for one signal: there is something to take.
	wake chan struct{}
}

type pendingLine struct {
	id   int
	line []byte
}

func newSubscriber() *subscriber {
	return &subscriber{wake: make(chan struct{}, 1)}
}

// offer makes line the pending line of key id, replacing an unsent one.
func (s *subscriber) offer(id int, line []byte) {
	s.mu.Lock()
	if id >= len(s.slots) {
		s.slots = append(s.slots, make([]int32, id+1-len(s.slots))...)
	}
	if slot := s.slots[id]; slot > 0 {
		s.pending[slot-1].line = line
	} else {
		s.pending = append(s.pending, pendingLine{id: id, line: line})
		s.slots[id] = int32(len(s.pending))
	}
	s.mu.Unlock()
	s.signal()
}

func (s *subscriber) leave() {
	s.mu.Lock()
	s.gone = true
	s.mu.Unlock()
	s.signal()
}

func (s *subscriber) finish(end streamEnd) {
	s.mu.Lock()
	s.end = &end
	s.mu.Unlock()
	s.signal()
}

func (s *subscriber) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take moves the pending lines to the end of batch.
func (s *subscriber) take(batch [][]byte) (_ [][]byte, end *streamEnd, gone bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pending := range s.pending {
		batch = append(batch, pending.line)
		s.slots[pending.id] = 0
	}
	clear(s.pending)
	s.pending = s.pending[:0]
	return batch, s.end, s.gone
}

// serveSubscriber writes the subscriber's lines until the stream or the
// client ends.
func (s *sharedStreamRoute) serveSubscriber(w http.ResponseWriter, r *http.Request, sub *subscriber) {
	controller := http.NewResponseController(w)
	// One channel to wait on instead of a select with the context's: this
	// loop runs once per line and subscriber.
	stop := context.AfterFunc(r.Context(), sub.leave)
	defer stop()
	var (
		batch       [][]byte
		out, joined []byte
		wrote       bool
	)
	for {
		<-sub.wake
		var (
			end  *streamEnd
			gone bool
		)
		batch, end, gone = sub.take(batch[:0])
		if gone {
			return
		}
		if len(batch) > 0 {
			// Usually one line: written as it is, else joined for one Write.
			out = batch[0]
			if len(batch) > 1 {
				joined = joined[:0]
				for _, line := range batch {
					joined = append(joined, line...)
				}
				out = joined
			}
			clear(batch)
			if !wrote {
				w.Header().Set("Transfer-Encoding", "chunked")
				w.Header().Set("Content-Type", s.marshaler.StreamContentType(nil))
				wrote = true
			}
			if _, err := w.Write(out); err != nil {
				return
			}
			if err := controller.Flush(); err != nil {
				return
			}
		}
		if end != nil {
			s.writeEnd(w, r, *end, wrote)
			return
		}
	}
}

// writeEnd finishes a response as the generated route would: nothing after
// a normal end, an error response before the first line, an error line
// after it.
func (s *sharedStreamRoute) writeEnd(w http.ResponseWriter, r *http.Request, end streamEnd, wrote bool) {
	switch {
	case end.err == nil:
		return
	case end.beforeHeader:
		s.errs.handleError(r.Context(), nil, nil, w, r, end.err)
		return
	case !wrote:
		w.Header().Set("Transfer-Encoding", "chunked")
		w.Header().Set("Content-Type", s.marshaler.ContentType(nil))
		w.WriteHeader(runtime.HTTPStatusFromCode(end.public.Code()))
	}
	if end.errorLine != nil {
		_, _ = w.Write(end.errorLine)
	}
}
