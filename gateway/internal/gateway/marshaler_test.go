package gateway

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestDecodeBodyAcceptsKnownFields(t *testing.T) {
	var message wrapperspb.StringValue
	if err := newJSONMarshaler().NewDecoder(strings.NewReader(`"hello"`)).Decode(&message); err != nil {
		t.Fatal(err)
	}
	if message.GetValue() != "hello" {
		t.Errorf("got %q", message.GetValue())
	}
}

func TestDecodeBodyRejections(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"empty", "", "request body is empty"},
		{"whitespace", " \n", "request body is empty"},
		{"malformed", `{"field":`, "invalid JSON request body"},
		{"wrong type", `{"field": 12}`, "invalid JSON request body"},
		{"unknown field", `{"field": "a", "fieldz": "b"}`, `unknown field "fieldz"`},
		{"trailing data", `{} {}`, "invalid JSON request body"},
		{"not an object", `[]`, "invalid JSON request body"},
	}
	for _, c := range cases {
		// A plain message with fields "field" and "description".
		target := &errdetails.BadRequest_FieldViolation{}
		err := newJSONMarshaler().NewDecoder(strings.NewReader(c.body)).Decode(target)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
			continue
		}
		if errors.Is(err, io.EOF) {
			t.Errorf("%s: error wraps io.EOF, which generated code treats as no body", c.name)
		}
		if strings.Contains(err.Error(), "proto:") {
			t.Errorf("%s: message keeps the protojson prefix: %q", c.name, err)
		}
	}
}

func TestDecodeBodyRecordsBodyTooLarge(t *testing.T) {
	state := &requestState{bodyLimit: 8}
	recorder := httptest.NewRecorder()
	body := &limitedBody{
		ReadCloser: http.MaxBytesReader(recorder, io.NopCloser(bytes.NewReader(make([]byte, 100))), 8),
		state:      state,
	}
	err := newJSONMarshaler().NewDecoder(body).Decode(&structpb.Struct{})
	if err == nil || !strings.Contains(err.Error(), "larger than 8 bytes") {
		t.Fatalf("got %v", err)
	}
	if !state.bodyTooLarge {
		t.Error("request state does not record the oversized body")
	}
}

func TestStreamContentTypeIsNDJSON(t *testing.T) {
	if got := newJSONMarshaler().StreamContentType(nil); got != "application/x-ndjson" {
		t.Errorf("got %q", got)
	}
	if got := string(newJSONMarshaler().Delimiter()); got != "\n" {
		t.Errorf("delimiter %q", got)
	}
}

func TestMarshalIsCompactWithUnpopulatedFields(t *testing.T) {
	data, err := newJSONMarshaler().Marshal(&errdetails.BadRequest_FieldViolation{Field: "email"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(data); got != `{"field":"email","description":"","reason":"","localizedMessage":null}` {
		t.Errorf("got %s", got)
	}
}
