package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // resolves google.rpc detail types in Any
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errorWriter renders every failure as the grpc-gateway status shape
// {"code": <gRPC code>, "message": "...", "details": [...]}.
type errorWriter struct {
	marshaler *jsonMarshaler
	logger    *slog.Logger
}

// publicStatus returns what a client may see of err. Codes that mean "the
// server or the transport broke" get a fixed message, because their text
// comes from Go or gRPC internals (dial errors, addresses, panics).
func publicStatus(st *status.Status) *status.Status {
	switch st.Code() {
	case codes.Unknown, codes.Internal, codes.DataLoss:
		return status.New(st.Code(), "internal error")
	case codes.Unavailable:
		return status.New(codes.Unavailable, "service unavailable, try again later")
	case codes.DeadlineExceeded:
		return status.New(codes.DeadlineExceeded, "the service did not answer in time")
	case codes.Canceled:
		return status.New(codes.Canceled, "request canceled")
	default:
		return st
	}
}

// handleError is the runtime.ErrorHandlerFunc of the gateway mux.
func (e *errorWriter) handleError(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler,
	w http.ResponseWriter, r *http.Request, err error) {
	if state := stateFrom(r.Context()); state != nil && state.bodyTooLarge {
		e.writeBodyTooLarge(w, state)
		return
	}
	httpStatus := 0
	var withHTTPStatus *runtime.HTTPStatusError
	if errors.As(err, &withHTTPStatus) {
		httpStatus = withHTTPStatus.HTTPStatus
		err = withHTTPStatus.Err
	}
	original := status.Convert(err)
	public := publicStatus(original)
	if httpStatus == 0 {
		httpStatus = runtime.HTTPStatusFromCode(public.Code())
	}
	if httpStatus >= 500 {
		// The client gets the generic text; the operator gets the real one.
		e.logger.LogAttrs(ctx, slog.LevelWarn, "backend call failed",
			slog.String("request_id", r.Header.Get(requestIDHeader)),
			slog.String("path", r.URL.Path),
			slog.String("grpc_code", original.Code().String()),
			slog.String("error", original.Message()))
	}
	e.write(w, httpStatus, public)
}

// handleRoutingError is the runtime.RoutingErrorHandlerFunc: unknown paths,
// wrong methods and malformed paths.
func (e *errorWriter) handleRoutingError(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler,
	w http.ResponseWriter, r *http.Request, httpStatus int) {
	var st *status.Status
	switch httpStatus {
	case http.StatusNotFound:
		st = status.New(codes.NotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
	case http.StatusMethodNotAllowed:
		st = status.New(codes.Unimplemented, fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path))
	case http.StatusBadRequest:
		st = status.New(codes.InvalidArgument, "malformed request path")
	default:
		httpStatus = http.StatusInternalServerError
		st = status.New(codes.Internal, "internal error")
	}
	e.write(w, httpStatus, st)
}

// handleStreamError turns an error in the middle of a server stream into the
// {"error": ...} line sent to the client.
func (e *errorWriter) handleStreamError(ctx context.Context, err error) *status.Status {
	original := status.Convert(err)
	public := publicStatus(original)
	if public != original {
		e.logger.LogAttrs(ctx, slog.LevelWarn, "backend stream failed",
			slog.String("grpc_code", original.Code().String()),
			slog.String("error", original.Message()))
	}
	return public
}

// writeBodyTooLarge answers 413, then discards a bounded part of the rest
// of the body (see maxDrainBytes); the connection is closed afterwards.
func (e *errorWriter) writeBodyTooLarge(w http.ResponseWriter, state *requestState) {
	w.Header().Set("Connection", "close")
	e.write(w, http.StatusRequestEntityTooLarge, status.New(codes.ResourceExhausted,
		fmt.Sprintf("request body is larger than %d bytes", state.bodyLimit)))
	if state.rawBody != nil {
		_ = http.NewResponseController(w).Flush()
		_, _ = io.CopyN(io.Discard, state.rawBody, maxDrainBytes)
	}
}

// write sends st with the given HTTP status.
func (e *errorWriter) write(w http.ResponseWriter, httpStatus int, st *status.Status) {
	body, err := e.marshaler.Marshal(st.Proto())
	if err != nil {
		// A detail whose type this binary does not know cannot be rendered;
		// the code and message still can.
		body, err = e.marshaler.Marshal(status.New(st.Code(), st.Message()).Proto())
		if err != nil {
			body = []byte(`{"code":13,"message":"internal error","details":[]}`)
			httpStatus = http.StatusInternalServerError
		}
	}
	header := w.Header()
	header.Set("Content-Type", "application/json")
	header.Del("Content-Length")
	header.Del("Transfer-Encoding")
	if st.Code() == codes.Unauthenticated {
		header.Set("WWW-Authenticate", `Bearer realm="cryptotracker"`)
	}
	w.WriteHeader(httpStatus)
	_, _ = w.Write(append(body, '\n'))
}
