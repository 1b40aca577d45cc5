package wirejson_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	_ "google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
	_ "google.golang.org/protobuf/types/known/wrapperspb"

	alertv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/alert/v1"
	portfoliov1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/portfolio/v1"
	pricingv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/pricing/v1"
	userv1 "github.com/cryptotracker/cryptotracker/gateway/gen/cryptotracker/user/v1"
	"github.com/cryptotracker/cryptotracker/gateway/internal/wirejson"
)

// contractFiles are the four contracts; every message they define (the
// response messages and everything else) is checked.
var contractFiles = []protoreflect.FileDescriptor{
	userv1.File_cryptotracker_user_v1_user_service_proto,
	pricingv1.File_cryptotracker_pricing_v1_pricing_service_proto,
	portfoliov1.File_cryptotracker_portfolio_v1_portfolio_service_proto,
	alertv1.File_cryptotracker_alert_v1_alert_service_proto,
}

// reference is what the gateway wrote before wirejson: protojson of the
// message proto.Unmarshal makes of wire, compacted. ok is false when
// either refuses.
func reference(t testing.TB, md protoreflect.MessageDescriptor, wire []byte) ([]byte, bool) {
	t.Helper()
	message := newMessage(md)
	if err := proto.Unmarshal(wire, message.Interface()); err != nil {
		return nil, false
	}
	data, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(message.Interface())
	if err != nil {
		return nil, false
	}
	var compacted bytes.Buffer
	if err := json.Compact(&compacted, data); err != nil {
		t.Fatal(err)
	}
	return compacted.Bytes(), true
}

func newMessage(md protoreflect.MessageDescriptor) protoreflect.Message {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil && mt.Descriptor() == md {
		return mt.New()
	}
	return dynamicpb.NewMessage(md)
}

// check compares wirejson with the reference for one wire encoding. When
// mayDecline, wirejson may decline what the reference accepts; it must
// never accept what the reference refuses, nor write anything else.
func check(t testing.TB, md protoreflect.MessageDescriptor, wire []byte, mayDecline bool) {
	t.Helper()
	want, wantOK := reference(t, md, wire)
	prefix := []byte("prefix")
	got, ok := wirejson.AppendJSON(bytes.Clone(prefix), md, wire)
	switch {
	case ok && !wantOK:
		t.Fatalf("%s: wrote %.500s for wire %.500x, which protojson or proto.Unmarshal refuses", md.FullName(), got, wire)
	case !ok && wantOK && !mayDecline:
		t.Fatalf("%s: declined wire %.500x, protojson writes %.500s", md.FullName(), wire, want)
	case ok && !bytes.Equal(got, append(prefix, want...)):
		at := 0
		for at < len(got) && at < len(prefix)+len(want) && got[at] == append(prefix, want...)[at] {
			at++
		}
		t.Fatalf("%s: wire %.300x\ndiffers at byte %d:\n got …%.300s\nwant …%.300s", md.FullName(), wire, at,
			got[max(0, at-100):], append(prefix, want...)[max(0, at-100):])
	}
}

// allMessages returns every message of the files, nested ones included.
func allMessages(files ...protoreflect.FileDescriptor) []protoreflect.MessageDescriptor {
	var all []protoreflect.MessageDescriptor
	var walk func(protoreflect.MessageDescriptors)
	walk = func(messages protoreflect.MessageDescriptors) {
		for i := 0; i < messages.Len(); i++ {
			md := messages.Get(i)
			if !md.IsMapEntry() {
				all = append(all, md)
			}
			walk(md.Messages())
		}
	}
	for _, file := range files {
		walk(file.Messages())
	}
	return all
}

// Every response message of the four contracts is a message of theirs; this
// names the ones the services answer with, so a contract without any fails.
func TestEveryResponseMessageIsCovered(t *testing.T) {
	covered := map[protoreflect.FullName]bool{}
	for _, md := range allMessages(contractFiles...) {
		covered[md.FullName()] = true
	}
	responses := 0
	for _, file := range contractFiles {
		for i := 0; i < file.Services().Len(); i++ {
			methods := file.Services().Get(i).Methods()
			for j := 0; j < methods.Len(); j++ {
				output := methods.Get(j).Output()
				if output.ParentFile().Package() != "google.protobuf" && !covered[output.FullName()] {
					t.Errorf("response %s is not checked", output.FullName())
				}
				if !wirejson.Supported(output) {
					t.Errorf("response %s is not written by wirejson", output.FullName())
				}
				responses++
			}
		}
	}
	if responses < 20 {
		t.Fatalf("only %d responses: the contracts did not load", responses)
	}
}

func TestContractMessagesEqualProtojson(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, md := range allMessages(contractFiles...) {
		checkMessage(t, rng, md)
	}
}

// checkMessage compares empty, default-valued and many populated values of
// md, each also with its top-level fields in shuffled wire order.
func checkMessage(t *testing.T, rng *rand.Rand, md protoreflect.MessageDescriptor) {
	t.Helper()
	empty := newMessage(md)
	check(t, md, marshal(t, empty), false)
	defaults := newMessage(md)
	fill(defaults, rng, 0, true)
	check(t, md, marshal(t, defaults), false)
	for range 40 {
		message := newMessage(md)
		fill(message, rng, 0, false)
		wire := marshal(t, message)
		check(t, md, wire, false)
		check(t, md, shuffleFields(rng, wire), true)
	}
}

func marshal(t testing.TB, m protoreflect.Message) []byte {
	t.Helper()
	wire, err := proto.MarshalOptions{Deterministic: true}.Marshal(m.Interface())
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

// shuffleFields reorders the top-level fields of wire: proto.Unmarshal
// accepts any order (and the last of a repeated singular field wins).
func shuffleFields(rng *rand.Rand, wire []byte) []byte {
	var fields [][]byte
	for len(wire) > 0 {
		_, _, n := protowire.ConsumeField(wire)
		if n < 0 {
			return wire
		}
		fields = append(fields, wire[:n])
		wire = wire[n:]
	}
	rng.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	return bytes.Join(fields, nil)
}

var (
	// Strings as the JSON writer must escape them, or not.
	sampleStrings = []string{"", "BTC", "69420.12345678", `quote " and \ backslash`, "tab\tnewline\ncr\r",
		"\x00\x01\x08\x0c\x1f\x7f", "<script>&amp;</script>", "ünïcödé €", "日本語", "emoji 🚀",
		"line\u2028separator\u2029", "\ufffd replacement", strings.Repeat("long ", 200)}
	sampleInts32  = []int64{0, 1, -1, 42, math.MaxInt32, math.MinInt32}
	sampleInts64  = []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 1 << 53, -(1 << 53) - 1}
	sampleUints64 = []uint64{0, 1, math.MaxUint64, math.MaxUint32, 1 << 63}
	sampleFloats  = []float64{0, math.Copysign(0, -1), 1.5, -2.25, 1e-7, 1e-6, 1e20, 1e21, 123456789.125,
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1), 0.1, 3e-300}
	sampleSeconds = []int64{-62135596800, 253402300799, 0, -1, 1792062000, 1e9}
	sampleNanos   = []int64{0, 1, 1000, 1000000, 120000000, 999999999, 123456789}
)

// fill sets every field of m (one member per oneof): with zero values when
// zeros, otherwise with values drawn from the samples, extremes included.
func fill(m protoreflect.Message, rng *rand.Rand, depth int, zeros bool) {
	md := m.Descriptor()
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		if !zeros {
			seconds, nanos := pick(rng, sampleSeconds), pick(rng, sampleNanos)
			if rng.Intn(2) == 0 { // any time from year 1 to 9999
				seconds, nanos = -62135596800+rng.Int63n(253402300799+62135596800+1), rng.Int63n(1e9)
			}
			m.Set(md.Fields().ByNumber(1), protoreflect.ValueOfInt64(seconds))
			m.Set(md.Fields().ByNumber(2), protoreflect.ValueOfInt32(int32(nanos)))
		}
		return
	case "google.protobuf.Duration":
		if !zeros {
			seconds := pick(rng, []int64{0, 1, -1, 315576000000, -315576000000, 3600})
			nanos := pick(rng, sampleNanos)
			if seconds < 0 || (seconds == 0 && rng.Intn(2) == 0) {
				nanos = -nanos
			}
			m.Set(md.Fields().ByNumber(1), protoreflect.ValueOfInt64(seconds))
			m.Set(md.Fields().ByNumber(2), protoreflect.ValueOfInt32(int32(nanos)))
		}
		return
	}
	oneofDone := map[protoreflect.OneofDescriptor]bool{}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() {
			if oneofDone[o] {
				continue
			}
			oneofDone[o] = true
			member := rng.Intn(o.Fields().Len() + 1)
			if member == o.Fields().Len() {
				continue // none set
			}
			fd = o.Fields().Get(member)
		} else if fd.HasOptionalKeyword() && rng.Intn(3) == 0 {
			continue
		}
		switch {
		case fd.IsList():
			list := m.Mutable(fd).List()
			for range count(rng, zeros, depth) {
				list.Append(sample(func() protoreflect.Message { return list.NewElement().Message() }, fd, rng, depth, zeros))
			}
		case fd.IsMap():
			entries := m.Mutable(fd).Map()
			for range count(rng, zeros, depth) {
				key := sampleScalar(fd.MapKey(), rng, zeros).MapKey()
				entries.Set(key, sampleMapValue(entries, fd.MapValue(), rng, depth, zeros))
			}
		default:
			m.Set(fd, sample(func() protoreflect.Message { return m.NewField(fd).Message() }, fd, rng, depth, zeros))
		}
	}
}

func count(rng *rand.Rand, zeros bool, depth int) int {
	if zeros || depth > 1 {
		return 0
	}
	return rng.Intn(4)
}

func pick[T any](rng *rand.Rand, values []T) T { return values[rng.Intn(len(values))] }

func sample(newChild func() protoreflect.Message, fd protoreflect.FieldDescriptor, rng *rand.Rand, depth int, zeros bool) protoreflect.Value {
	if fd.Kind() == protoreflect.MessageKind {
		child := newChild()
		if depth < 2 {
			fill(child, rng, depth+1, zeros)
		}
		return protoreflect.ValueOfMessage(child)
	}
	return sampleScalar(fd, rng, zeros)
}

func sampleMapValue(entries protoreflect.Map, fd protoreflect.FieldDescriptor, rng *rand.Rand, depth int, zeros bool) protoreflect.Value {
	if fd.Kind() == protoreflect.MessageKind {
		child := entries.NewValue().Message()
		if depth < 2 {
			fill(child, rng, depth+1, zeros)
		}
		return protoreflect.ValueOfMessage(child)
	}
	return sampleScalar(fd, rng, zeros)
}

func sampleScalar(fd protoreflect.FieldDescriptor, rng *rand.Rand, zeros bool) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(!zeros && rng.Intn(2) == 0)
	case protoreflect.StringKind:
		if zeros {
			return protoreflect.ValueOfString("")
		}
		return protoreflect.ValueOfString(pick(rng, sampleStrings))
	case protoreflect.BytesKind:
		if zeros {
			return protoreflect.ValueOfBytes(nil)
		}
		b := make([]byte, rng.Intn(40))
		rng.Read(b)
		return protoreflect.ValueOfBytes(b)
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		if zeros {
			return protoreflect.ValueOfEnum(0)
		}
		if rng.Intn(5) == 0 {
			return protoreflect.ValueOfEnum(protoreflect.EnumNumber(pick(rng, []int32{99, -7, math.MaxInt32})))
		}
		return protoreflect.ValueOfEnum(values.Get(rng.Intn(values.Len())).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		if zeros {
			return protoreflect.ValueOfInt32(0)
		}
		return protoreflect.ValueOfInt32(int32(pick(rng, sampleInts32)))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		if zeros {
			return protoreflect.ValueOfUint32(0)
		}
		return protoreflect.ValueOfUint32(uint32(pick(rng, sampleUints64)))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		if zeros {
			return protoreflect.ValueOfInt64(0)
		}
		return protoreflect.ValueOfInt64(pick(rng, sampleInts64))
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if zeros {
			return protoreflect.ValueOfUint64(0)
		}
		return protoreflect.ValueOfUint64(pick(rng, sampleUints64))
	case protoreflect.FloatKind:
		if zeros {
			return protoreflect.ValueOfFloat32(0)
		}
		return protoreflect.ValueOfFloat32(float32(pick(rng, sampleFloats)))
	case protoreflect.DoubleKind:
		if zeros {
			return protoreflect.ValueOfFloat64(0)
		}
		return protoreflect.ValueOfFloat64(pick(rng, sampleFloats))
	}
	panic("unexpected kind " + fd.Kind().String())
}

// kitchenSink is a test-only contract with every kind of field the four
// contracts do not use yet (64-bit integers, floats, bytes, maps of every
// key kind, wrappers, recursion), so a field added later is covered already.
func kitchenSink(t testing.TB) protoreflect.MessageDescriptor {
	t.Helper()
	type F = descriptorpb.FieldDescriptorProto
	field := func(name string, number int32, kind descriptorpb.FieldDescriptorProto_Type, label descriptorpb.FieldDescriptorProto_Label, typeName string) *F {
		f := &F{Name: proto.String(name), Number: proto.Int32(number), Type: kind.Enum(), Label: label.Enum(), JsonName: proto.String(jsonName(name))}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	optional, repeated := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL, descriptorpb.FieldDescriptorProto_LABEL_REPEATED
	scalars := []descriptorpb.FieldDescriptorProto_Type{
		descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, descriptorpb.FieldDescriptorProto_TYPE_FLOAT,
		descriptorpb.FieldDescriptorProto_TYPE_INT64, descriptorpb.FieldDescriptorProto_TYPE_UINT64,
		descriptorpb.FieldDescriptorProto_TYPE_INT32, descriptorpb.FieldDescriptorProto_TYPE_FIXED64,
		descriptorpb.FieldDescriptorProto_TYPE_FIXED32, descriptorpb.FieldDescriptorProto_TYPE_BOOL,
		descriptorpb.FieldDescriptorProto_TYPE_STRING, descriptorpb.FieldDescriptorProto_TYPE_BYTES,
		descriptorpb.FieldDescriptorProto_TYPE_UINT32, descriptorpb.FieldDescriptorProto_TYPE_SFIXED32,
		descriptorpb.FieldDescriptorProto_TYPE_SFIXED64, descriptorpb.FieldDescriptorProto_TYPE_SINT32,
		descriptorpb.FieldDescriptorProto_TYPE_SINT64,
	}
	var fields []*F
	var entries []*descriptorpb.DescriptorProto
	number := int32(1)
	for _, kind := range scalars {
		name := strings.ToLower(strings.TrimPrefix(kind.String(), "TYPE_"))
		fields = append(fields, field("single_"+name, number, kind, optional, ""), field("many_"+name, number+1, kind, repeated, ""))
		number += 2
	}
	mapValues := map[string]*F{
		"int64":  field("value", 2, descriptorpb.FieldDescriptorProto_TYPE_INT64, optional, ""),
		"sink":   field("value", 2, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, optional, ".sink.Sink"),
		"colour": field("value", 2, descriptorpb.FieldDescriptorProto_TYPE_ENUM, optional, ".sink.Colour"),
		"time":   field("value", 2, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, optional, ".google.protobuf.Timestamp"),
		"double": field("value", 2, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, optional, ""),
	}
	valueNames := []string{"int64", "sink", "colour", "time", "double"}
	// Every scalar but floats and bytes can be a map key; map_a's is a
	// string.
	keyKinds := []descriptorpb.FieldDescriptorProto_Type{descriptorpb.FieldDescriptorProto_TYPE_STRING}
	for _, kind := range scalars {
		switch kind {
		case descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, descriptorpb.FieldDescriptorProto_TYPE_FLOAT,
			descriptorpb.FieldDescriptorProto_TYPE_BYTES, descriptorpb.FieldDescriptorProto_TYPE_STRING:
		default:
			keyKinds = append(keyKinds, kind)
		}
	}
	for i, keyKind := range keyKinds {
		value := valueNames[i%len(valueNames)]
		entry := "Map" + string(rune('A'+i)) + "Entry"
		entries = append(entries, &descriptorpb.DescriptorProto{
			Name:    proto.String(entry),
			Field:   []*F{field("key", 1, keyKind, optional, ""), mapValues[value]},
			Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
		})
		fields = append(fields, field("map_"+string(rune('a'+i)), number, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, repeated, ".sink.Sink."+entry))
		number++
	}
	for _, message := range []string{"Timestamp", "Duration", "DoubleValue", "FloatValue", "Int64Value", "UInt64Value",
		"Int32Value", "UInt32Value", "BoolValue", "StringValue", "BytesValue", "Empty"} {
		fields = append(fields, field("wkt_"+strings.ToLower(message), number, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, optional, ".google.protobuf."+message))
		number++
	}
	fields = append(fields,
		field("colour", number, descriptorpb.FieldDescriptorProto_TYPE_ENUM, optional, ".sink.Colour"),
		field("colours", number+1, descriptorpb.FieldDescriptorProto_TYPE_ENUM, repeated, ".sink.Colour"),
		field("child", number+2, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, optional, ".sink.Sink"),
		field("children", number+3, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, repeated, ".sink.Sink"),
		field("times", number+4, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, repeated, ".google.protobuf.Timestamp"),
	)
	number += 5
	choice := int32(0)
	for _, f := range []*F{
		field("choice_text", number, descriptorpb.FieldDescriptorProto_TYPE_STRING, optional, ""),
		field("choice_sink", number+1, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, optional, ".sink.Sink"),
		field("choice_double", number+2, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, optional, ""),
		field("choice_time", number+3, descriptorpb.FieldDescriptorProto_TYPE_MESSAGE, optional, ".google.protobuf.Timestamp"),
	} {
		f.OneofIndex = proto.Int32(choice)
		fields = append(fields, f)
	}
	maybe := field("maybe_int64", 5000, descriptorpb.FieldDescriptorProto_TYPE_INT64, optional, "")
	maybe.OneofIndex, maybe.Proto3Optional = proto.Int32(1), proto.Bool(true)
	fields = append(fields, maybe)
	file := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("sink/sink.proto"),
		Package:    proto.String("sink"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/protobuf/timestamp.proto", "google/protobuf/duration.proto", "google/protobuf/wrappers.proto", "google/protobuf/empty.proto"},
		EnumType: []*descriptorpb.EnumDescriptorProto{{
			Name: proto.String("Colour"),
			Value: []*descriptorpb.EnumValueDescriptorProto{
				{Name: proto.String("COLOUR_UNSPECIFIED"), Number: proto.Int32(0)},
				{Name: proto.String("COLOUR_RED"), Number: proto.Int32(1)},
				{Name: proto.String("COLOUR_NEGATIVE"), Number: proto.Int32(-3)},
				{Name: proto.String("COLOUR_FAR"), Number: proto.Int32(100000)},
			},
		}},
		MessageType: []*descriptorpb.DescriptorProto{{
			Name:       proto.String("Sink"),
			Field:      fields,
			NestedType: entries,
			OneofDecl:  []*descriptorpb.OneofDescriptorProto{{Name: proto.String("choice")}, {Name: proto.String("_maybe_int64")}},
		}},
	}
	fd, err := protodesc.NewFile(file, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	return fd.Messages().Get(0)
}

func jsonName(name string) string {
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func TestEveryKindEqualsProtojson(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	md := kitchenSink(t)
	for range 4 {
		checkMessage(t, rng, md)
	}
}

// Wire forms proto.Unmarshal accepts that a marshaler does not write:
// unpacked and packed repeated scalars mixed, a singular field twice (the
// last wins), unknown fields of every wire type.
func TestUncommonWireForms(t *testing.T) {
	md := kitchenSink(t)
	number := func(name string) protowire.Number { return fieldNumber(md, name) }
	var wire []byte
	wire = protowire.AppendTag(wire, number("many_int32"), protowire.VarintType)
	wire = protowire.AppendVarint(wire, 7)
	wire = protowire.AppendTag(wire, number("single_string"), protowire.BytesType)
	wire = protowire.AppendString(wire, "first")
	wire = protowire.AppendTag(wire, number("many_int32"), protowire.BytesType)
	wire = protowire.AppendBytes(wire, protowire.AppendVarint(protowire.AppendVarint(nil, 1), uint64(math.MaxUint64)))
	wire = protowire.AppendTag(wire, 4000, protowire.Fixed64Type)
	wire = protowire.AppendFixed64(wire, 1)
	wire = protowire.AppendTag(wire, 4001, protowire.StartGroupType)
	wire = protowire.AppendTag(wire, 4001, protowire.EndGroupType)
	wire = protowire.AppendTag(wire, number("single_string"), protowire.BytesType)
	wire = protowire.AppendString(wire, "last")
	wire = protowire.AppendTag(wire, number("many_int32"), protowire.VarintType)
	wire = protowire.AppendVarint(wire, 9)
	check(t, md, wire, false)
}

func fieldNumber(md protoreflect.MessageDescriptor, name string) protowire.Number {
	return md.Fields().ByName(protoreflect.Name(name)).Number()
}

// What proto.Unmarshal or protojson refuses, wirejson declines.
func TestRefusedInputsAreDeclined(t *testing.T) {
	md := kitchenSink(t)
	number := func(name string) protowire.Number { return fieldNumber(md, name) }
	timestamp := func(seconds int64, nanos int32) []byte {
		inner := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), uint64(seconds))
		inner = protowire.AppendVarint(protowire.AppendTag(inner, 2, protowire.VarintType), uint64(int64(nanos)))
		return protowire.AppendBytes(protowire.AppendTag(nil, number("wkt_timestamp"), protowire.BytesType), inner)
	}
	cases := map[string][]byte{
		"invalid UTF-8":        protowire.AppendString(protowire.AppendTag(nil, number("single_string"), protowire.BytesType), "ok \xff"),
		"truncated":            protowire.AppendTag(nil, number("single_string"), protowire.BytesType),
		"timestamp too late":   timestamp(253402300800, 0),
		"timestamp too early":  timestamp(-62135596801, 0),
		"negative nanos":       timestamp(0, -1),
		"field number zero":    {0x02, 0x00},
		"end group":            protowire.AppendTag(nil, 5, protowire.EndGroupType),
		"bad packed varint":    protowire.AppendBytes(protowire.AppendTag(nil, number("many_int64"), protowire.BytesType), []byte{0xff}),
		"bad packed fixed":     protowire.AppendBytes(protowire.AppendTag(nil, number("many_fixed64"), protowire.BytesType), []byte{1, 2, 3}),
		"invalid UTF-8 in key": mapEntryWithStringKey(number("map_a"), "\xc3"),
	}
	for name, wire := range cases {
		if _, ok := reference(t, md, wire); ok {
			t.Errorf("%s: the reference accepts it, the case is wrong", name)
		}
		if got, ok := wirejson.AppendJSON(nil, md, wire); ok {
			t.Errorf("%s: wrote %s", name, got)
		}
	}
}

func mapEntryWithStringKey(field protowire.Number, key string) []byte {
	entry := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), key)
	return protowire.AppendBytes(protowire.AppendTag(nil, field, protowire.BytesType), entry)
}

// corrupt returns wire with a few random edits: flipped, dropped, inserted
// and duplicated bytes.
func corrupt(rng *rand.Rand, wire []byte) []byte {
	out := bytes.Clone(wire)
	for range 1 + rng.Intn(3) {
		if len(out) == 0 {
			out = append(out, byte(rng.Intn(256)))
			continue
		}
		i := rng.Intn(len(out))
		switch rng.Intn(4) {
		case 0:
			out[i] ^= byte(1 << rng.Intn(8))
		case 1:
			out = append(out[:i], out[i+1:]...)
		case 2:
			out = append(out[:i], append([]byte{byte(rng.Intn(256))}, out[i:]...)...)
		default:
			j := i + rng.Intn(len(out)-i)
			out = append(out[:j], append(bytes.Clone(out[i:j]), out[j:]...)...)
		}
	}
	return out
}

// fuzzTypes are the types the fuzz target reads: every kind, and the two
// largest answers.
func fuzzTypes(t testing.TB) []protoreflect.MessageDescriptor {
	return []protoreflect.MessageDescriptor{
		kitchenSink(t),
		(&pricingv1.GetCandlesResponse{}).ProtoReflect().Descriptor(),
		(&pricingv1.GetPricesResponse{}).ProtoReflect().Descriptor(),
	}
}

// A seeded run of the fuzz target's property in the normal tests: random
// corruptions of valid answers are either declined or written exactly as
// protojson writes what proto.Unmarshal makes of them.
func TestCorruptedWireIsDeclinedOrEqual(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, md := range fuzzTypes(t) {
		for range 300 {
			message := newMessage(md)
			fill(message, rng, 0, false)
			check(t, md, corrupt(rng, marshal(t, message)), true)
		}
	}
}

func FuzzAppendJSON(f *testing.F) {
	rng := rand.New(rand.NewSource(4))
	types := fuzzTypes(f)
	for i, md := range types {
		for range 5 {
			// Small seeds (no nesting, no lists) keep the engine fast; it
			// grows them itself.
			message := newMessage(md)
			fill(message, rng, 2, false)
			f.Add(uint8(i), marshal(f, message))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, wire []byte) {
		check(t, types[int(which)%len(types)], wire, true)
	})
}

// Every day of the range protojson writes, around the turns of years and
// centuries in particular, is the date time.Time gives.
func TestTimestampsOfEveryDay(t *testing.T) {
	md := (&timestamppb.Timestamp{}).ProtoReflect().Descriptor()
	for seconds := int64(-62135596800); seconds <= 253402300799; seconds += 86400 - 1 + int64(seconds%7) {
		wire, err := proto.Marshal(&timestamppb.Timestamp{Seconds: seconds, Nanos: int32((seconds%1000 + 1000) % 1000 * 1000)})
		if err != nil {
			t.Fatal(err)
		}
		got, ok := wirejson.AppendJSON(nil, md, wire)
		want, wantOK := reference(t, md, wire)
		if !ok || !wantOK || !bytes.Equal(got, want) {
			t.Fatalf("%d: got %s, want %s", seconds, got, want)
		}
	}
}

// Nesting in which every level is out of order is written in time linear
// in its size (a fallback at each level must not rewrite what it holds).
func TestDeepOutOfOrderNestingIsLinear(t *testing.T) {
	md := kitchenSink(t)
	child := md.Fields().ByName("child").Number()
	colour := md.Fields().ByName("colour").Number()
	var wire []byte
	for range 90 {
		// colour, then child, then colour again: out of order.
		level := protowire.AppendVarint(protowire.AppendTag(nil, colour, protowire.VarintType), 1)
		level = protowire.AppendBytes(protowire.AppendTag(level, child, protowire.BytesType), wire)
		wire = protowire.AppendVarint(protowire.AppendTag(level, colour, protowire.VarintType), 1)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(t, md, wire, true)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("still writing after 20 s")
	}
}
