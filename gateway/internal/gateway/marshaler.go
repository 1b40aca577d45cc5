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
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/cryptotracker/cryptotracker/gateway/internal/wirejson"
)

// StreamContentType is the media type of server-streaming responses: one JSON
// object per line, {"result": <message>} for each message and
// {"error": <status>} if the stream fails after it started.
const StreamContentType = "application/x-ndjson"

// jsonMarshaler is the only marshaler of the gateway. Compared with
// grpc-gateway's default it writes messages from their wire bytes
// (internal/wirejson), rejects unknown fields, rejects empty bodies and
// trailing data, and labels streams as NDJSON.
type jsonMarshaler struct {
	runtime.JSONPb
	// stripWhitespace is whether JSONPb's output holds whitespace to remove;
	// fixed per binary, see protojsonWritesWhitespace.
	stripWhitespace bool
	// answers caches the JSON of the backend's answers by their wire bytes.
	answers *wirejson.Cache
}

var _ runtime.StreamContentType = (*jsonMarshaler)(nil)

// Answers of fewer wire bytes are written afresh every time (a few
// microseconds at most); larger ones are cached, up to about this much
// wire and JSON in all.
const (
	cachedAnswerMinBytes = 512
	answerCacheBytes     = 32 << 20
)

// newJSONMarshaler returns the marshaler.
func newJSONMarshaler() *jsonMarshaler {
	m := &jsonMarshaler{JSONPb: runtime.JSONPb{
		// Field names are protojson's lowerCamelCase. Unset proto3 scalars are
		// written so the SPA always sees the same shape; proto3 `optional`
		// fields have presence and stay absent when unset. wirejson
		// reproduces exactly these options.
		MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}, answers: wirejson.NewCache(cachedAnswerMinBytes, answerCacheBytes)}
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
// better served by one stable rendering. Messages, and the {"result": ...}
// chunks of streams, are written by wirejson from their wire bytes, the
// same bytes protojson would write; what wirejson declines goes through
// protojson as before.
func (m *jsonMarshaler) Marshal(v any) ([]byte, error) {
	data, ok, err := m.marshalFast(v)
	if ok || err != nil {
		return data, err
	}
	data, err = m.JSONPb.Marshal(v)
	if err != nil {
		return nil, err
	}
	if m.stripWhitespace {
		data = stripJSONWhitespace(data)
	}
	return data, nil
}

// marshalFast writes v through wirejson; ok is false when it declines.
func (m *jsonMarshaler) marshalFast(v any) (_ []byte, ok bool, _ error) {
	switch value := v.(type) {
	case proto.Message:
		return m.messageJSON(value)
	case map[string]any:
		// runtime.ForwardResponseStream's {"result": message}.
		if len(value) == 1 {
			for key, inner := range value {
				if message, isMessage := inner.(proto.Message); isMessage {
					return m.chunkJSON(key, message)
				}
			}
		}
	case map[string]proto.Message:
		if len(value) == 1 {
			for key, message := range value {
				return m.chunkJSON(key, message)
			}
		}
	}
	return nil, false, nil
}

// messageJSON writes one message: from the backend's wire bytes when the
// message came undecoded through wirejson.LazyCodec (cached by those bytes
// when the request was public), otherwise from its proto.Marshal encoding.
func (m *jsonMarshaler) messageJSON(message proto.Message) (_ []byte, ok bool, _ error) {
	if message == nil || !message.ProtoReflect().IsValid() {
		return nil, false, nil
	}
	reflected := message.ProtoReflect()
	md := reflected.Descriptor()
	if wire, cacheable, stashed := wirejson.Stashed(message); stashed {
		var data []byte
		if cacheable {
			data, ok = m.answers.JSON(md, wire)
		} else {
			data, ok = wirejson.Encode(md, wire)
		}
		if ok {
			return data, true, nil
		}
		// Declined: decode it, so protojson writes it (or fails on it) as
		// it would have without the lazy codec.
		if err := wirejson.Decode(message); err != nil {
			return nil, false, status.Errorf(codes.Internal, "decoding the backend's answer: %v", err)
		}
		return nil, false, nil
	}
	if !wirejson.Supported(md) {
		return nil, false, nil
	}
	wire, err := proto.Marshal(message)
	if err != nil {
		// protojson reports the problem (invalid UTF-8, ...) its own way.
		return nil, false, nil
	}
	data, ok := wirejson.Encode(md, wire)
	return data, ok, nil
}

// chunkJSON writes {"key": message} as JSONPb does for a map: through
// encoding/json, whose RawMessage output escapes <, >, & and U+2028/9.
func (m *jsonMarshaler) chunkJSON(key string, message proto.Message) (_ []byte, ok bool, _ error) {
	if !plainKey(key) {
		return nil, false, nil
	}
	inner, ok, err := m.messageJSON(message)
	if !ok || err != nil {
		return nil, ok, err
	}
	out := make([]byte, 0, len(inner)+len(key)+8)
	out = append(append(append(out, `{"`...), key...), `":`...)
	out = appendHTMLEscaped(out, inner)
	return append(out, '}'), true, nil
}

// plainKey reports a key encoding/json writes as it is.
func plainKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if c := key[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return key != ""
}

// appendHTMLEscaped appends JSON with encoding/json's HTML escaping: the
// characters it replaces only occur inside strings.
func appendHTMLEscaped(out, data []byte) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case c == '<' || c == '>' || c == '&':
			out = append(out, data[start:i]...)
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			start = i + 1
		case c == 0xe2 && i+2 < len(data) && data[i+1] == 0x80 && (data[i+2] == 0xa8 || data[i+2] == 0xa9):
			out = append(out, data[start:i]...)
			out = append(out, '\\', 'u', '2', '0', '2', hex[data[i+2]&0xf])
			i += 2
			start = i + 1
		}
	}
	return append(out, data[start:]...)
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
