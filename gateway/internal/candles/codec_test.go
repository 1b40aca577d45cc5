package candles

import (
	"math/rand"
	"strconv"
	"testing"

	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
	"github.com/cryptotracker/cryptotracker/gateway/internal/candles/candlestest"
)

// unmarshalViaCodec decodes raw as grpc does for the gateway's calls.
func unmarshalViaCodec(raw []byte, v any) error {
	return BackendCodec().Unmarshal(mem.BufferSlice{mem.SliceBuffer(raw)}, v)
}

// assertDecodesLikeProto checks that the codec gives what proto.Unmarshal
// gives for raw (the same message, or an error for both), and whether the
// fast decoder took it.
func assertDecodesLikeProto(t *testing.T, raw []byte, wantFast bool) {
	t.Helper()
	var want pricingv1.GetCandlesResponse
	wantErr := proto.Unmarshal(raw, &want)
	var got pricingv1.GetCandlesResponse
	gotErr := unmarshalViaCodec(raw, &got)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("error %v, proto.Unmarshal's %v", gotErr, wantErr)
	}
	if wantErr == nil && !proto.Equal(&got, &want) {
		t.Fatalf("decoded %v, proto.Unmarshal %v", &got, &want)
	}
	var fast pricingv1.GetCandlesResponse
	if ok := decodeCandlesResponse(string(raw), &fast); ok != wantFast {
		t.Fatalf("fast decoder took it: %v, want %v", ok, wantFast)
	}
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	raw, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestBackendCodecIsProtobufForOtherMessages(t *testing.T) {
	codec := BackendCodec()
	if codec.Name() != grpcproto.Name {
		t.Fatalf("codec name %q, want %q (the content type must not change)", codec.Name(), grpcproto.Name)
	}
	if _, ok := encoding.GetCodecV2(grpcproto.Name).(candlesCodec); ok {
		t.Fatal("grpc's global proto codec was replaced")
	}
	// Other messages go through grpc's codec unchanged.
	want := &pricingv1.GetCandlesRequest{Symbol: "BTC", Limit: 7}
	var got pricingv1.GetCandlesRequest
	if err := unmarshalViaCodec(marshal(t, want), &got); err != nil || !proto.Equal(&got, want) {
		t.Fatalf("got %v (%v), want %v", &got, err, want)
	}
	data, err := codec.Marshal(want)
	if err != nil || string(data.Materialize()) != string(marshal(t, want)) {
		t.Fatalf("Marshal: %q (%v)", data.Materialize(), err)
	}
}

func TestCandlesDecodeMatchesProtoOnARealisticResponse(t *testing.T) {
	assertDecodesLikeProto(t, marshal(t, candlestest.Realistic(1000)), true)
}

func TestCandlesDecodeMatchesProtoOnZeroValues(t *testing.T) {
	for name, r := range map[string]*pricingv1.GetCandlesResponse{
		"empty message":      {},
		"empty candles":      {Candles: []*pricingv1.Candle{{}, {}}},
		"empty timestamps":   {Candles: []*pricingv1.Candle{{OpenTime: &timestamppb.Timestamp{}, CloseTime: &timestamppb.Timestamp{}}}},
		"unknown enums":      {Derivation: 99, Interval: -3},
		"negative numbers":   {Candles: []*pricingv1.Candle{{TradeCount: -5, OpenTime: &timestamppb.Timestamp{Seconds: -62135596800, Nanos: -1}}}},
		"non-ASCII strings":  {Symbol: "é", Candles: []*pricingv1.Candle{{Open: "\u2028"}}},
		"one populated only": {Candles: []*pricingv1.Candle{{Closed: true}}},
	} {
		t.Run(name, func(t *testing.T) { assertDecodesLikeProto(t, marshal(t, r), true) })
	}
}

func TestCandlesDecodeMatchesProtoOnRandomResponses(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	text := func() string {
		if rng.Intn(4) == 0 {
			return ""
		}
		return strconv.Itoa(rng.Intn(1e9)) + "." + strconv.Itoa(rng.Intn(1e6))
	}
	timestamp := func() *timestamppb.Timestamp {
		if rng.Intn(5) == 0 {
			return nil
		}
		return &timestamppb.Timestamp{Seconds: rng.Int63() - rng.Int63(), Nanos: rng.Int31() - rng.Int31()}
	}
	for range 1000 {
		r := &pricingv1.GetCandlesResponse{
			Symbol: text(), Quote: text(), Pair: text(),
			Derivation: pricingv1.PriceDerivation(rng.Int31() - rng.Int31()), Interval: pricingv1.Interval(rng.Intn(9)),
		}
		for j := rng.Intn(6); j > 0; j-- {
			r.Candles = append(r.Candles, &pricingv1.Candle{
				OpenTime: timestamp(), CloseTime: timestamp(),
				Open: text(), High: text(), Low: text(), Close: text(), Volume: text(), QuoteVolume: text(),
				TradeCount: rng.Int31() - rng.Int31(), Closed: rng.Intn(2) == 0,
			})
		}
		assertDecodesLikeProto(t, marshal(t, r), true)
	}
}

// Input the fast decoder declines still decodes as proto.Unmarshal decodes
// it, or fails as it fails.
func TestCandlesDecodeDeclinesAndFallsBack(t *testing.T) {
	base := marshal(t, candlestest.Realistic(3))
	candle := marshal(t, candlestest.Realistic(1).Candles[0])
	withCandle := func(extra []byte) []byte {
		inner := append(append([]byte{}, candle...), extra...)
		b := protowire.AppendTag(append([]byte{}, base...), responseCandles, protowire.BytesType)
		return protowire.AppendBytes(b, inner)
	}
	timestampField := func(number protowire.Number, seconds uint64) []byte {
		inner := protowire.AppendVarint(protowire.AppendTag(nil, timestampSeconds, protowire.VarintType), seconds)
		return protowire.AppendBytes(protowire.AppendTag(nil, number, protowire.BytesType), inner)
	}
	cases := map[string][]byte{
		"unknown top-level field": protowire.AppendVarint(protowire.AppendTag(append([]byte{}, base...), 99, protowire.VarintType), 1),
		"unknown candle field":    withCandle(protowire.AppendVarint(protowire.AppendTag(nil, 42, protowire.VarintType), 1)),
		"unknown timestamp field": withCandle(protowire.AppendBytes(protowire.AppendTag(nil, candleCloseTime, protowire.BytesType),
			protowire.AppendVarint(protowire.AppendTag(nil, 3, protowire.VarintType), 1))),
		// proto.Unmarshal merges a repeated message field.
		"timestamp twice": withCandle(timestampField(candleOpenTime, 5)),
		"wrong wire type": protowire.AppendVarint(protowire.AppendTag(append([]byte{}, base...), responseSymbol, protowire.VarintType), 1),
		"invalid UTF-8":   protowire.AppendString(protowire.AppendTag(append([]byte{}, base...), responsePair, protowire.BytesType), "\xff"),
		"truncated":       base[:len(base)-3],
		"length too long": protowire.AppendVarint(protowire.AppendTag(append([]byte{}, base...), responseCandles, protowire.BytesType), 1000),
		"field number 0":  append(append([]byte{}, base...), 0x02, 0x00),
		// A varint running past the end of its candle.
		"varint over the edge": append(append(append([]byte{}, base...), protowire.AppendTag(nil, responseCandles, protowire.BytesType)...),
			0x02, byte(protowire.EncodeTag(candleTradeCount, protowire.VarintType)), 0x80, 0x01),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) { assertDecodesLikeProto(t, raw, false) })
	}
	// Later values of a scalar field win, as in proto.Unmarshal.
	twice := protowire.AppendString(protowire.AppendTag(append([]byte{}, base...), responseSymbol, protowire.BytesType), "ETH")
	assertDecodesLikeProto(t, twice, true)
	assertDecodesLikeProto(t, withCandle(protowire.AppendString(protowire.AppendTag(nil, candleOpen, protowire.BytesType), "1")), true)
}

// Every field the descriptors declare is decoded by the fast path: a field
// added to the contract must be added to the decoder too (and to
// appendCandlesJSON), or this fails.
func TestCandlesDecodeKnowsEveryField(t *testing.T) {
	set := func(m protoreflect.Message) {
		fields := m.Descriptor().Fields()
		for i := 0; i < fields.Len(); i++ {
			field := fields.Get(i)
			switch {
			case field.IsList():
				list := m.Mutable(field).List()
				list.Append(list.NewElement())
			case field.Kind() == protoreflect.MessageKind:
				m.Mutable(field)
			case field.Kind() == protoreflect.StringKind:
				m.Set(field, protoreflect.ValueOfString("x"))
			case field.Kind() == protoreflect.BoolKind:
				m.Set(field, protoreflect.ValueOfBool(true))
			case field.Kind() == protoreflect.EnumKind:
				m.Set(field, protoreflect.ValueOfEnum(1))
			case field.Kind() == protoreflect.Int32Kind:
				m.Set(field, protoreflect.ValueOfInt32(1))
			case field.Kind() == protoreflect.Int64Kind:
				m.Set(field, protoreflect.ValueOfInt64(1))
			default:
				t.Fatalf("field %s of kind %v: teach this test and the decoder", field.FullName(), field.Kind())
			}
		}
	}
	r := &pricingv1.GetCandlesResponse{}
	set(r.ProtoReflect())
	c := r.Candles[0]
	set(c.ProtoReflect())
	set(c.OpenTime.ProtoReflect())
	set(c.CloseTime.ProtoReflect())
	assertDecodesLikeProto(t, marshal(t, r), true)
}

// BenchmarkDecodeCandles is the sidecar's decoding of a 1,000-candle answer
// of the pricing service, as grpc calls the codec.
func BenchmarkDecodeCandles(b *testing.B) {
	raw, err := proto.Marshal(candlestest.Realistic(1000))
	if err != nil {
		b.Fatal(err)
	}
	codec := BackendCodec()
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var r pricingv1.GetCandlesResponse
		if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(raw)}, &r); err != nil {
			b.Fatal(err)
		}
	}
}
