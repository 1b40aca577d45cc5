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
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/cryptotracker/cryptotracker/gateway/internal/testanswers"
	"github.com/cryptotracker/cryptotracker/gateway/internal/wirejson"
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
	if err := json.Indent(&indented, protojsonCompact(t, testanswers.Candles(3)), "", "  "); err != nil {
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
	marshaler := newJSONMarshaler()
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

// What wirejson declines is protojson's, errors included.
func TestMarshalFallsBackToProtojson(t *testing.T) {
	marshaler := newJSONMarshaler()
	declined := &errdetails.BadRequest_FieldViolation{Field: "a, b"}
	if got, err := marshaler.Marshal(declined); err != nil || !bytes.Equal(got, protojsonCompact(t, declined)) {
		t.Errorf("declined value: %s (%v)", got, err)
	}
	if _, err := marshaler.Marshal(&timestamppb.Timestamp{Nanos: -1}); err == nil {
		t.Error("protojson refuses an invalid timestamp, Marshal did not")
	}
	if _, err := marshaler.Marshal(wrapperspb.String("\xff")); err == nil {
		t.Error("protojson refuses invalid UTF-8, Marshal did not")
	}
}

// Stream chunks ({"result": message}, {"error": status}) are what JSONPb
// writes through encoding/json, whose HTML escaping wirejson reproduces.
func TestMarshalWritesStreamChunksAsJSONPb(t *testing.T) {
	marshaler := newJSONMarshaler()
	escaped := &errdetails.BadRequest_FieldViolation{Field: "<a> & <b>", Description: "line\u2028separator\u2029 é 🚀"}
	values := []any{
		map[string]any{"result": escaped},
		map[string]any{"result": testanswers.Prices(3)},
		map[string]proto.Message{"error": escaped},
		map[string]proto.Message{"error": status.New(codes.NotFound, "no <such> thing").Proto()},
		map[string]any{"result": wrapperspb.String("\xff")}, // refused by both
	}
	for _, v := range values {
		got, gotErr := marshaler.Marshal(v)
		want, wantErr := marshaler.JSONPb.Marshal(v)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("%v: error %v, JSONPb's %v", v, gotErr, wantErr)
		}
		if wantErr == nil && !bytes.Equal(got, stripJSONWhitespace(want)) {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

// An answer received undecoded (wirejson.LazyCodec) is written from its
// wire bytes, from the cache when they repeat; one wirejson declines is
// decoded and goes through protojson, errors included.
func TestMarshalWritesLazyAnswers(t *testing.T) {
	marshaler := newJSONMarshaler()
	codec, private := wirejson.LazyCodec(true), wirejson.LazyCodec(false)
	receiveWith := func(codec encoding.CodecV2, answer proto.Message, wire []byte) proto.Message {
		t.Helper()
		message := answer.ProtoReflect().New().Interface()
		if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, message); err != nil {
			t.Fatal(err)
		}
		return message
	}
	receive := func(answer proto.Message, wire []byte) proto.Message { return receiveWith(codec, answer, wire) }
	for _, answer := range []proto.Message{testanswers.Prices(20), testanswers.Prices(20), testanswers.Candles(50), &emptypb.Empty{}} {
		wire, err := proto.Marshal(answer)
		if err != nil {
			t.Fatal(err)
		}
		got, err := marshaler.Marshal(receive(answer, wire))
		if want := protojsonCompact(t, answer); err != nil || !bytes.Equal(got, want) {
			t.Errorf("got %.200s (%v)\nwant %.200s", got, err, want)
		}
	}
	if marshaler.answers.Len() != 2 {
		t.Errorf("%d answers cached, want the two larger ones", marshaler.answers.Len())
	}
	// An answer to a caller who identified themselves is written, never kept.
	privateAnswer := testanswers.Candles(20)
	wire, _ := proto.Marshal(privateAnswer)
	got, err := marshaler.Marshal(receiveWith(private, privateAnswer, wire))
	if want := protojsonCompact(t, privateAnswer); err != nil || !bytes.Equal(got, want) || marshaler.answers.Len() != 2 {
		t.Errorf("private answer: %.200s (%v), %d cached", got, err, marshaler.answers.Len())
	}
	// Seconds beyond year 9999: protojson refuses the decoded message.
	tooLate := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 253402300800)
	if got, err := marshaler.Marshal(receive(&timestamppb.Timestamp{}, tooLate)); err == nil {
		t.Errorf("wrote %s for a timestamp protojson refuses", got)
	}
	// Not protobuf at all: the backend's answer cannot be decoded.
	if got, err := marshaler.Marshal(receive(&timestamppb.Timestamp{}, []byte{0xff})); status.Code(err) != codes.Internal {
		t.Errorf("wrote %s (%v) for an undecodable answer", got, err)
	}
}

// Only GETs without credentials are public reads, whose answers may be
// cached.
func TestPublicReadsAreGETsWithoutCredentials(t *testing.T) {
	cases := []struct {
		method, header, value string
		public                bool
	}{
		{http.MethodGet, "", "", true},
		{http.MethodGet, "Authorization", "Bearer x", false},
		{http.MethodGet, "Cookie", "theme=dark", true},
		{http.MethodPost, "", "", false},
	}
	for _, c := range cases {
		var public bool
		handler := withPublicReads(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			public = wirejson.Cacheable(r.Context())
		}))
		request := httptest.NewRequest(c.method, "/api/v1/x", nil)
		if c.header != "" {
			request.Header.Set(c.header, c.value)
		}
		handler.ServeHTTP(httptest.NewRecorder(), request)
		if public != c.public {
			t.Errorf("%s with %s: public %v, want %v", c.method, c.header, public, c.public)
		}
	}
}
