package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cryptotracker/cryptotracker/gateway/internal/candles/candlestest"
)

func TestDecodeBodyAcceptsKnownFields(t *testing.T) {
	var message wrapperspb.StringValue
	if err := newJSONMarshaler(nil).NewDecoder(strings.NewReader(`"hello"`)).Decode(&message); err != nil {
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
		err := newJSONMarshaler(nil).NewDecoder(strings.NewReader(c.body)).Decode(target)
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
	err := newJSONMarshaler(nil).NewDecoder(body).Decode(&structpb.Struct{})
	if err == nil || !strings.Contains(err.Error(), "larger than 8 bytes") {
		t.Fatalf("got %v", err)
	}
	if !state.bodyTooLarge {
		t.Error("request state does not record the oversized body")
	}
}

func TestStreamContentTypeIsNDJSON(t *testing.T) {
	if got := newJSONMarshaler(nil).StreamContentType(nil); got != "application/x-ndjson" {
		t.Errorf("got %q", got)
	}
	if got := string(newJSONMarshaler(nil).Delimiter()); got != "\n" {
		t.Errorf("delimiter %q", got)
	}
}

func TestMarshalIsCompactWithUnpopulatedFields(t *testing.T) {
	data, err := newJSONMarshaler(nil).Marshal(&errdetails.BadRequest_FieldViolation{Field: "email"})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(data); got != `{"field":"email","description":"","reason":"","localizedMessage":null}` {
		t.Errorf("got %s", got)
	}
}

func TestStripJSONWhitespaceMatchesCompact(t *testing.T) {
	inputs := []string{
		``,
		`{}`,
		`{"a":1,"b":[true,false,null]}`,
		"{ \"a\" : 1 ,\n\t\"b\" :\r\n [ 1 , 2 ] }",
		`{"s":"keep , these : spaces", "t":"\t"}`,
		`{"q":"a \"quoted, \" word", "n":2}`,
		`{"b":"ends in a backslash \\", "n":3}`,
		`{"b":"\\\" , \\\\", "u":"\u0020 x"}`,
		`[ "é, ü" , "\u2028" ]`,
	}
	// protojson output of a real message, spread out the way an indented
	// encoder would.
	var indented bytes.Buffer
	if err := json.Indent(&indented, protojsonCompact(t, candlestest.Realistic(3)), "", "  "); err != nil {
		t.Fatal(err)
	}
	inputs = append(inputs, indented.String())
	for _, input := range inputs {
		var want bytes.Buffer
		if input != "" {
			if err := json.Compact(&want, []byte(input)); err != nil {
				t.Fatalf("bad test input %q: %v", input, err)
			}
		}
		if got := stripJSONWhitespace([]byte(input)); string(got) != want.String() {
			t.Errorf("%q: got %q, want %q", input, got, want.String())
		}
	}
}

// Whether this test binary's protojson writes spaces is chosen by protobuf
// per build, so each run covers one of the two branches; the probe must get
// it right either way, and the output must stay what json.Compact gave.
func TestMarshalStripsWhitespaceOnlyWhenProtojsonWritesIt(t *testing.T) {
	marshaler := newJSONMarshaler(nil)
	twoFields, err := marshaler.JSONPb.Marshal(&errdetails.BadRequest_FieldViolation{Field: "a", Description: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.ContainsRune(twoFields, ' '); marshaler.stripWhitespace != want {
		t.Fatalf("probe says %v, but protojson wrote %s", marshaler.stripWhitespace, twoFields)
	}
	values := []any{
		&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: "a, b", Description: `say "x: y", then \`},
			{Field: "c", Reason: " { [ "},
		}},
		&structpb.Struct{Fields: map[string]*structpb.Value{
			"list":   structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewNumberValue(1), structpb.NewStringValue(", ")}}),
			"nested": structpb.NewStructValue(&structpb.Struct{}),
		}},
		// Shapes of values that are not messages: a stream chunk and a list.
		map[string]any{"result": wrapperspb.String("a , b")},
		[]*wrapperspb.Int64Value{wrapperspb.Int64(1), wrapperspb.Int64(2)},
	}
	for _, v := range values {
		got, err := marshaler.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if want := protojsonCompact(t, v); !bytes.Equal(got, want) {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

// A declared encoder writes the values it takes; what it declines, and
// everything else, is protojson's, errors included.
func TestMarshalTriesTheDeclaredEncoderFirst(t *testing.T) {
	var offered []any
	marshaler := newJSONMarshaler(func(v any) ([]byte, bool) {
		offered = append(offered, v)
		if s, ok := v.(*wrapperspb.StringValue); ok && s.GetValue() == "mine" {
			return []byte(`"written by the encoder"`), true
		}
		return nil, false
	})
	if got, err := marshaler.Marshal(wrapperspb.String("mine")); err != nil || string(got) != `"written by the encoder"` {
		t.Errorf("taken value: %s (%v)", got, err)
	}
	declined := &errdetails.BadRequest_FieldViolation{Field: "a, b"}
	if got, err := marshaler.Marshal(declined); err != nil || !bytes.Equal(got, protojsonCompact(t, declined)) {
		t.Errorf("declined value: %s (%v)", got, err)
	}
	if _, err := marshaler.Marshal(&timestamppb.Timestamp{Nanos: -1}); err == nil {
		t.Error("protojson refuses an invalid timestamp, Marshal did not")
	}
	if len(offered) != 3 {
		t.Errorf("the encoder was offered %d values, want 3", len(offered))
	}
}
