package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type statusBody struct {
	Code    int               `json:"code"`
	Message string            `json:"message"`
	Details []json.RawMessage `json:"details"`
}

func newTestErrorWriter(logs io.Writer) *errorWriter {
	return &errorWriter{marshaler: newJSONMarshaler(), logger: slog.New(slog.NewJSONHandler(logs, nil))}
}

func decodeStatus(t *testing.T, recorder *httptest.ResponseRecorder) statusBody {
	t.Helper()
	if got := recorder.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("content type %q", got)
	}
	var body statusBody
	if err := json.Unmarshal(recorder.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", recorder.Body.String(), err)
	}
	if body.Details == nil {
		t.Errorf("details missing from %s", recorder.Body.String())
	}
	return body
}

func TestHandleErrorMapsGRPCCodes(t *testing.T) {
	cases := []struct {
		code       codes.Code
		httpStatus int
	}{
		{codes.InvalidArgument, 400},
		{codes.Unauthenticated, 401},
		{codes.PermissionDenied, 403},
		{codes.NotFound, 404},
		{codes.AlreadyExists, 409},
		{codes.ResourceExhausted, 429},
		{codes.FailedPrecondition, 400},
		{codes.Unimplemented, 501},
		{codes.Unavailable, 503},
		{codes.DeadlineExceeded, 504},
		{codes.Internal, 500},
	}
	for _, c := range cases {
		recorder := httptest.NewRecorder()
		request := httptest.NewRequest(http.MethodGet, "/api/v1/x", nil)
		newTestErrorWriter(io.Discard).handleError(context.Background(), nil, nil, recorder, request,
			status.Error(c.code, "backend says no"))
		if recorder.Code != c.httpStatus {
			t.Errorf("%v: got HTTP %d, want %d", c.code, recorder.Code, c.httpStatus)
		}
		if body := decodeStatus(t, recorder); body.Code != int(c.code) {
			t.Errorf("%v: body code %d", c.code, body.Code)
		}
	}
}

func TestHandleErrorHidesInternalMessages(t *testing.T) {
	var logs strings.Builder
	recorder := httptest.NewRecorder()
	request := httptest.NewRequest(http.MethodGet, "/api/v1/x", nil)
	dialError := status.Error(codes.Unavailable, `connection error: desc = "transport: dial tcp 10.0.0.1:50051"`)
	newTestErrorWriter(&logs).handleError(context.Background(), nil, nil, recorder, request, dialError)
	body := decodeStatus(t, recorder)
	if recorder.Code != 503 || strings.Contains(body.Message, "dial") {
		t.Errorf("got %d %+v", recorder.Code, body)
	}
	if !strings.Contains(logs.String(), "10.0.0.1:50051") {
		t.Errorf("the real error is not logged for the operator: %s", logs.String())
	}

	recorder = httptest.NewRecorder()
	newTestErrorWriter(io.Discard).handleError(context.Background(), nil, nil, recorder, request,
		errors.New("runtime error: index out of range"))
	if body := decodeStatus(t, recorder); recorder.Code != 500 || body.Message != "internal error" {
		t.Errorf("plain Go error leaked: %d %+v", recorder.Code, body)
	}
}

func TestHandleErrorKeepsClientFacingDetails(t *testing.T) {
	st, err := status.New(codes.InvalidArgument, "email: not an address").WithDetails(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "email", Description: "not an address"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	recorder := httptest.NewRecorder()
	newTestErrorWriter(io.Discard).handleError(context.Background(), nil, nil, recorder,
		httptest.NewRequest(http.MethodPost, "/api/v1/x", nil), st.Err())
	body := decodeStatus(t, recorder)
	if recorder.Code != 400 || body.Message != "email: not an address" || len(body.Details) != 1 ||
		!strings.Contains(string(body.Details[0]), "fieldViolations") {
		t.Errorf("got %d %s", recorder.Code, recorder.Body.String())
	}
}

func TestHandleErrorUnauthenticatedSetsBearerChallenge(t *testing.T) {
	recorder := httptest.NewRecorder()
	newTestErrorWriter(io.Discard).handleError(context.Background(), nil, nil, recorder,
		httptest.NewRequest(http.MethodGet, "/api/v1/users/me", nil), status.Error(codes.Unauthenticated, "token expired"))
	if recorder.Code != 401 || !strings.HasPrefix(recorder.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("got %d, WWW-Authenticate %q", recorder.Code, recorder.Header().Get("WWW-Authenticate"))
	}
}

func TestHandleErrorAnswers413WhenBodyLimitWasHit(t *testing.T) {
	request := httptest.NewRequest(http.MethodPost, "/api/v1/x", nil)
	state := &requestState{bodyLimit: 1024, bodyTooLarge: true}
	request = request.WithContext(context.WithValue(request.Context(), requestStateKey{}, state))
	recorder := httptest.NewRecorder()
	// The generated handler wraps the decode error as INVALID_ARGUMENT.
	newTestErrorWriter(io.Discard).handleError(request.Context(), nil, nil, recorder, request,
		status.Error(codes.InvalidArgument, "request body is larger than 1024 bytes"))
	body := decodeStatus(t, recorder)
	if recorder.Code != http.StatusRequestEntityTooLarge || body.Code != int(codes.ResourceExhausted) ||
		!strings.Contains(body.Message, "1024") {
		t.Errorf("got %d %+v", recorder.Code, body)
	}
}

func TestHandleErrorHonoursHTTPStatusError(t *testing.T) {
	recorder := httptest.NewRecorder()
	newTestErrorWriter(io.Discard).handleError(context.Background(), nil, nil, recorder,
		httptest.NewRequest(http.MethodGet, "/api/v1/x", nil),
		&runtime.HTTPStatusError{HTTPStatus: 400, Err: status.Error(codes.InvalidArgument, "bad escape")})
	if recorder.Code != 400 {
		t.Errorf("got %d", recorder.Code)
	}
}

func TestRoutingErrors(t *testing.T) {
	for httpStatus, code := range map[int]codes.Code{404: codes.NotFound, 405: codes.Unimplemented, 400: codes.InvalidArgument} {
		recorder := httptest.NewRecorder()
		newTestErrorWriter(io.Discard).handleRoutingError(context.Background(), nil, nil, recorder,
			httptest.NewRequest(http.MethodPut, "/api/v1/nothing", nil), httpStatus)
		body := decodeStatus(t, recorder)
		if recorder.Code != httpStatus || body.Code != int(code) {
			t.Errorf("%d: got %d %+v", httpStatus, recorder.Code, body)
		}
	}
}

func TestStreamErrorsAreSanitised(t *testing.T) {
	writer := newTestErrorWriter(io.Discard)
	if st := writer.handleStreamError(context.Background(), status.Error(codes.Internal, "pqxx: broken pipe")); st.Message() != "internal error" {
		t.Errorf("got %q", st.Message())
	}
	if st := writer.handleStreamError(context.Background(), status.Error(codes.NotFound, "no such alert")); st.Message() != "no such alert" {
		t.Errorf("got %q", st.Message())
	}
}
