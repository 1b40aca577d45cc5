package gateway

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/cryptotracker/cryptotracker/gateway/internal/testanswers"
	"github.com/cryptotracker/cryptotracker/gateway/internal/wirejson"
)

// protojsonCompact is what the gateway wrote before wirejson and the
// whitespace probe: runtime.JSONPb under the gateway's options, then
// json.Compact. Every output of Marshal must equal it.
func protojsonCompact(t testing.TB, v any) []byte {
	t.Helper()
	data, err := newJSONMarshaler().JSONPb.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var compacted bytes.Buffer
	if err := json.Compact(&compacted, data); err != nil {
		t.Fatal(err)
	}
	return compacted.Bytes()
}

// ProtojsonCompact lets the handler tests of package gateway_test compare
// with protojsonCompact.
var ProtojsonCompact = protojsonCompact

// The benchmarks of an answer are the sidecar's whole handling of the
// backend's bytes: decoding (the lazy codec keeps the bytes) and the JSON
// rendering runtime.ForwardResponseMessage asks of the marshaler. Each
// comes three ways: a first answer (the cache never hits), a repeated
// answer (the same bytes again: prices that did not move, closed candles),
// and the way before wirejson (proto.Unmarshal, protojson, compaction),
// kept so they can be compared in one run on a noisy machine.

func BenchmarkAnswerCandles(b *testing.B) { benchmarkAnswer(b, testanswers.Candles(1000), false) }
func BenchmarkAnswerCandlesRepeated(b *testing.B) {
	benchmarkAnswer(b, testanswers.Candles(1000), true)
}
func BenchmarkAnswerCandlesProtojson(b *testing.B) {
	benchmarkProtojsonAnswer(b, testanswers.Candles(1000))
}
func BenchmarkAnswerPrices(b *testing.B)         { benchmarkAnswer(b, testanswers.Prices(20), false) }
func BenchmarkAnswerPricesRepeated(b *testing.B) { benchmarkAnswer(b, testanswers.Prices(20), true) }
func BenchmarkAnswerPricesProtojson(b *testing.B) {
	benchmarkProtojsonAnswer(b, testanswers.Prices(20))
}

func benchmarkAnswer(b *testing.B, answer proto.Message, repeated bool) {
	wire, err := proto.Marshal(answer)
	if err != nil {
		b.Fatal(err)
	}
	codec := wirejson.LazyCodec(true)
	marshaler := newJSONMarshaler()
	if !repeated {
		marshaler.answers = wirejson.NewCache(math.MaxInt, 0)
	}
	b.ReportAllocs()
	var size int
	for b.Loop() {
		message := answer.ProtoReflect().New().Interface()
		if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, message); err != nil {
			b.Fatal(err)
		}
		data, err := marshaler.Marshal(message)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.SetBytes(int64(size))
}

func benchmarkProtojsonAnswer(b *testing.B, answer proto.Message) {
	wire, err := proto.Marshal(answer)
	if err != nil {
		b.Fatal(err)
	}
	marshaler := newJSONMarshaler()
	b.ReportAllocs()
	var size int
	for b.Loop() {
		message := answer.ProtoReflect().New().Interface()
		if err := proto.Unmarshal(wire, message); err != nil {
			b.Fatal(err)
		}
		data, err := marshaler.JSONPb.Marshal(message)
		if err != nil {
			b.Fatal(err)
		}
		var compacted bytes.Buffer
		if err := json.Compact(&compacted, data); err != nil {
			b.Fatal(err)
		}
		size = compacted.Len()
	}
	b.SetBytes(int64(size))
}

// BenchmarkMarshalDecodedPrices is a decoded message's rendering (proto.Marshal,
// then wirejson): the path of stream messages and of answers the gateway
// builds itself.
func BenchmarkMarshalDecodedPrices(b *testing.B) {
	answer := testanswers.Prices(20)
	marshaler := newJSONMarshaler()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := marshaler.Marshal(map[string]any{"result": answer}); err != nil {
			b.Fatal(err)
		}
	}
}

// spacedCandlesJSON is 1,000 candles as protojson writes them in the builds
// that add a space after every comma.
func spacedCandlesJSON(b *testing.B) []byte {
	compact := protojsonCompact(b, testanswers.Candles(1000))
	// No string of these candles holds a comma.
	return bytes.ReplaceAll(compact, []byte(","), []byte(", "))
}

// BenchmarkStripJSONWhitespace and BenchmarkJSONCompact compare the two ways
// of removing protojson's spaces.
func BenchmarkStripJSONWhitespace(b *testing.B) {
	spaced := spacedCandlesJSON(b)
	work := make([]byte, len(spaced))
	b.SetBytes(int64(len(spaced)))
	for b.Loop() {
		copy(work, spaced)
		stripJSONWhitespace(work)
	}
}

func BenchmarkJSONCompact(b *testing.B) {
	spaced := spacedCandlesJSON(b)
	b.SetBytes(int64(len(spaced)))
	for b.Loop() {
		var compacted bytes.Buffer
		if err := json.Compact(&compacted, spaced); err != nil {
			b.Fatal(err)
		}
	}
}
