package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
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
}

var _ runtime.StreamContentType = (*jsonMarshaler)(nil)

func newJSONMarshaler() *jsonMarshaler {
	return &jsonMarshaler{runtime.JSONPb{
		// Field names are protojson's lowerCamelCase. Unset proto3 scalars are
		// written so the SPA always sees the same shape; proto3 `optional`
		// fields have presence and stay absent when unset.
		MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}
}

// StreamContentType implements runtime.StreamContentType.
func (m *jsonMarshaler) StreamContentType(any) string { return StreamContentType }

// Marshal is runtime.JSONPb's with insignificant whitespace removed:
// protojson deliberately varies its spacing between builds, and clients and
// tests are better served by one stable rendering.
func (m *jsonMarshaler) Marshal(v any) ([]byte, error) {
	data, err := m.JSONPb.Marshal(v)
	if err != nil {
		return nil, err
	}
	var compacted bytes.Buffer
	if err := json.Compact(&compacted, data); err != nil {
		return data, nil
	}
	return compacted.Bytes(), nil
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
