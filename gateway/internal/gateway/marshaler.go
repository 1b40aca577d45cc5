package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// StreamContentType is the media type of server-streaming responses: one JSON
// object per line, {"result": <message>} for each message and
// {"error": <status>} if the stream fails after it started.
const StreamContentType = "application/x-ndjson"

// jsonMarshaler is the only marshaler of the gateway. Compared with
// grpc-gateway's default it rejects unknown fields, rejects empty bodies and
// trailing data, and labels streams as NDJSON.
type jsonMarshaler struct {
	runtime.JSONPb
	// stripWhitespace is whether JSONPb's output holds whitespace to remove;
	// fixed per binary, see protojsonWritesWhitespace.
	stripWhitespace bool
	// encodeFirst is the service's declared encoder
	// (service.Options.EncodeJSON), tried before protojson; nil if none.
	encodeFirst func(v any) ([]byte, bool)
}

var _ runtime.StreamContentType = (*jsonMarshaler)(nil)

// newJSONMarshaler returns the marshaler; encodeFirst is the service's
// declared encoder, or nil.
func newJSONMarshaler(encodeFirst func(v any) ([]byte, bool)) *jsonMarshaler {
	m := &jsonMarshaler{JSONPb: runtime.JSONPb{
		// Field names are protojson's lowerCamelCase. Unset proto3 scalars are
		// written so the SPA always sees the same shape; proto3 `optional`
		// fields have presence and stay absent when unset. A declared
		// encoder reproduces exactly these options.
		MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}, encodeFirst: encodeFirst}
	m.stripWhitespace = protojsonWritesWhitespace(m.MarshalOptions)
	return m
}

// protojsonWritesWhitespace probes once whether opts put whitespace between
// tokens. On one line protojson writes none, except a space after every
// comma in some builds and not in others: on purpose, so nobody depends on
// its exact output. The choice comes from a hash of the executable
// (protobuf's internal/detrand), so it is the same for every message the
// process ever marshals, and one probe decides for all of them. The output
// of encoding/json, which JSONPb uses for values that are not messages,
// never holds whitespace.
func protojsonWritesWhitespace(opts protojson.MarshalOptions) bool {
	probe, err := opts.Marshal(&structpb.ListValue{Values: []*structpb.Value{
		structpb.NewNumberValue(1), structpb.NewNumberValue(2),
	}})
	// Should the probe ever fail, stripping is the safe choice.
	return err != nil || bytes.ContainsAny(probe, " \t\r\n")
}

// StreamContentType implements runtime.StreamContentType.
func (m *jsonMarshaler) StreamContentType(any) string { return StreamContentType }

// Marshal is runtime.JSONPb's without insignificant whitespace: protojson
// deliberately varies its spacing between builds, and clients and tests are
// better served by one stable rendering. The service's declared encoder,
// which writes the same bytes for the values it takes, goes first.
func (m *jsonMarshaler) Marshal(v any) ([]byte, error) {
	if m.encodeFirst != nil {
		if data, ok := m.encodeFirst(v); ok {
			return data, nil
		}
	}
	data, err := m.JSONPb.Marshal(v)
	if err != nil {
		return nil, err
	}
	if m.stripWhitespace {
		data = stripJSONWhitespace(data)
	}
	return data, nil
}

// stripJSONWhitespace removes whitespace outside strings from valid JSON, in
// place, giving what json.Compact gives. It does not validate: its input is
// encoder output, and a single pass without json.Compact's state machine
// costs a fraction of it. A quote inside a string is always escaped, so a
// backslash skips the byte after it and an unescaped quote ends the string.
func stripJSONWhitespace(data []byte) []byte {
	out := data[:0]
	kept := 0 // data[kept:i] is pending copy to out
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case ' ', '\t', '\n', '\r':
			// out never overtakes data[kept:], so copying forward in
			// place is safe.
			out = append(out, data[kept:i]...)
			kept = i + 1
		}
	}
	return append(out, data[kept:]...)
}

// NewDecoder reads the whole (size-limited) body and decodes it strictly.
// The generated handlers treat io.EOF from Decode as "no body" and go on with
// an empty message; the errors returned here never wrap io.EOF, so an empty
// body is a 400 instead.
func (m *jsonMarshaler) NewDecoder(body io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(target any) error { return m.decodeBody(body, target) })
}

func (m *jsonMarshaler) decodeBody(body io.Reader, target any) error {
	data, err := io.ReadAll(body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			// The error handler turns this into 413 via the request state.
			return fmt.Errorf("request body is larger than %d bytes", tooLarge.Limit)
		}
		return errors.New("reading the request body failed")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("request body is empty: send a JSON object")
	}
	if message, ok := target.(proto.Message); ok {
		// protojson rejects trailing data after the object, unlike the
		// streaming decoder of runtime.JSONPb.
		err = m.UnmarshalOptions.Unmarshal(data, message)
	} else {
		err = m.Unmarshal(data, target)
	}
	if err != nil {
		return fmt.Errorf("invalid JSON request body: %s", describeJSONError(err))
	}
	return nil
}

// describeJSONError strips protojson's "proto:" prefix (whose following space
// is randomised between builds) so the client sees only the problem, e.g.
// `(line 1:2): unknown field "foo"`.
func describeJSONError(err error) string {
	text := strings.TrimPrefix(err.Error(), "proto:")
	return strings.TrimLeftFunc(text, unicode.IsSpace)
}
