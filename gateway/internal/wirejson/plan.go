// Package wirejson writes the JSON of a protobuf message straight from its
// wire bytes, through a plan derived from the message's descriptor: what
// protojson writes under the gateway's options (EmitUnpopulated,
// lowerCamelCase names, enums by name, 64-bit integers as strings),
// compacted, without decoding the message into Go values first.
//
// It knows no service: plans come from whatever descriptor it is given,
// for every message of every contract. It handles the cases whose
// protojson rendering is plain; anything else (invalid UTF-8, a
// Timestamp out of range, a message field repeated on the wire, Any,
// Struct, extensions, proto2 groups and required fields, ...) makes it
// decline, and the caller falls back to proto.Unmarshal and protojson,
// which then give exactly the output or the error they always gave.
package wirejson

import (
	"strconv"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// special is how protojson renders a well-known type that is not written
// as an object of its fields.
type special uint8

const (
	plainMessage special = iota
	timestampMessage
	durationMessage
	wrapperMessage
	// unsupportedMessage is declined: Any, Struct, Value, ListValue,
	// FieldMask, MessageSets, groups, required fields, extensions.
	unsupportedMessage
)

// fieldPlan is one field of a messagePlan.
type fieldPlan struct {
	number protowire.Number
	kind   protoreflect.Kind
	// wire is the wire type of the field's values (BytesType for maps).
	wire protowire.Type
	// name is `"jsonName":`.
	name []byte
	list bool
	// oneof is the index of the field's oneof (real or the synthetic one
	// of a proto3 `optional`) in messagePlan.oneofs, or -1. Such a field
	// is written only when present.
	oneof int
	// null is whether an absent field (not in a oneof) is written as
	// null: fields with presence, i.e. message fields.
	null bool
	// message is the plan of a message field, or of a map's value message.
	message *messagePlan
	// enum holds the enum's value names by number (enum kinds only).
	enum *enumPlan
	// mapKey and mapValue are the entry's fields of a map field.
	mapKey, mapValue *fieldPlan
}

// messagePlan is how one message type is written.
type messagePlan struct {
	special special
	// fields are in declaration order, the order protojson writes them.
	fields []fieldPlan
	// byNumber maps field numbers below len(byNumber) to indexes into
	// fields (-1 for none); larger numbers are in sparse.
	byNumber []int16
	sparse   map[protowire.Number]int
	oneofs   int
	// ordered is whether the one-pass writer applies: field numbers
	// increase in declaration order, no maps, at most 64 oneofs.
	ordered bool
	// sixteenthsPerWireByte is the JSON size per wire byte of the last
	// message Encode wrote, in sixteenths; 0 before the first.
	sixteenthsPerWireByte atomic.Uint32
}

// enumPlan holds an enum's quoted value names.
type enumPlan struct {
	// null marks google.protobuf.NullValue, always written as null.
	null   bool
	closed bool
	dense  [][]byte // by number for 0 <= number < len(dense); nil if none
	sparse map[int32][]byte
}

func (e *enumPlan) quotedName(n int32) []byte {
	if n >= 0 && int(n) < len(e.dense) {
		return e.dense[n]
	}
	return e.sparse[n]
}

// The plans of every message type seen so far, by descriptor. Plans are
// built once per type (also for types reached through fields) and never
// change.
var (
	plansMu sync.Mutex
	plans   sync.Map // protoreflect.MessageDescriptor -> *messagePlan
)

// planOf returns the plan of md, building it (and those of the types it
// reaches) on first use.
func planOf(md protoreflect.MessageDescriptor) *messagePlan {
	if p, ok := plans.Load(md); ok {
		return p.(*messagePlan)
	}
	plansMu.Lock()
	defer plansMu.Unlock()
	building := map[protoreflect.MessageDescriptor]*messagePlan{}
	p := buildPlan(md, building)
	for d, built := range building {
		plans.LoadOrStore(d, built)
	}
	actual, _ := plans.Load(md)
	if actual == nil {
		return p
	}
	return actual.(*messagePlan)
}

// Supported reports whether messages of type md are written by this
// package at all (they may still be declined for what they hold).
func Supported(md protoreflect.MessageDescriptor) bool {
	return planOf(md).special != unsupportedMessage
}

func buildPlan(md protoreflect.MessageDescriptor, building map[protoreflect.MessageDescriptor]*messagePlan) *messagePlan {
	if p, ok := plans.Load(md); ok {
		return p.(*messagePlan)
	}
	if p, ok := building[md]; ok {
		return p // a recursive type: filled in further up
	}
	p := &messagePlan{}
	building[md] = p
	switch wellKnown(md) {
	case timestampMessage:
		p.special = timestampMessage
		return p
	case durationMessage:
		p.special = durationMessage
		return p
	case unsupportedMessage:
		p.special = unsupportedMessage
		return p
	case wrapperMessage:
		p.special = wrapperMessage
	}
	if md.ExtensionRanges().Len() > 0 || md.RequiredNumbers().Len() > 0 {
		// Extensions and required fields change what proto.Unmarshal
		// accepts and protojson writes.
		p.special = unsupportedMessage
		return p
	}
	fields := md.Fields()
	p.fields = make([]fieldPlan, fields.Len())
	p.oneofs = md.Oneofs().Len()
	maxSmall := protowire.Number(0)
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Kind() == protoreflect.GroupKind {
			p.special = unsupportedMessage
			return p
		}
		p.fields[i] = buildField(fd, building)
		if fd.Number() < 256 && fd.Number() > maxSmall {
			maxSmall = fd.Number()
		}
	}
	// A wrapper is written as its value, which the two passes do.
	p.ordered = p.oneofs <= 64 && p.special != wrapperMessage
	for i := range p.fields {
		if p.fields[i].mapKey != nil || (i > 0 && p.fields[i].number <= p.fields[i-1].number) {
			p.ordered = false
		}
	}
	p.byNumber = make([]int16, maxSmall+1)
	for i := range p.byNumber {
		p.byNumber[i] = -1
	}
	for i := range p.fields {
		n := p.fields[i].number
		if n <= maxSmall {
			p.byNumber[n] = int16(i)
			continue
		}
		if p.sparse == nil {
			p.sparse = map[protowire.Number]int{}
		}
		p.sparse[n] = i
	}
	return p
}

func buildField(fd protoreflect.FieldDescriptor, building map[protoreflect.MessageDescriptor]*messagePlan) fieldPlan {
	f := fieldPlan{
		number: fd.Number(),
		kind:   fd.Kind(),
		name:   append(strconv.AppendQuote(nil, fd.JSONName()), ':'),
		list:   fd.IsList(),
		oneof:  -1,
		null:   fd.HasPresence() && !fd.IsList() && !fd.IsMap(),
	}
	if !validJSONName(fd.JSONName()) {
		// strconv's quoting differs from protojson's for unusual names;
		// protoc only makes plain ones.
		f.name = append(appendString(nil, fd.JSONName()), ':')
	}
	if o := fd.ContainingOneof(); o != nil {
		f.oneof = o.Index()
	}
	f.wire = elementWire(f.kind)
	if fd.IsMap() {
		f.wire = protowire.BytesType
		key, value := buildField(fd.MapKey(), building), buildField(fd.MapValue(), building)
		f.mapKey, f.mapValue = &key, &value
		f.list = false
		return f
	}
	switch fd.Kind() {
	case protoreflect.MessageKind:
		f.message = buildPlan(fd.Message(), building)
	case protoreflect.EnumKind:
		f.enum = buildEnum(fd.Enum())
	}
	return f
}

func validJSONName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func buildEnum(ed protoreflect.EnumDescriptor) *enumPlan {
	e := &enumPlan{
		null:   ed.FullName() == "google.protobuf.NullValue",
		closed: ed.IsClosed(),
	}
	values := ed.Values()
	for i := 0; i < values.Len(); i++ {
		v := values.Get(i)
		n := int32(v.Number())
		if _, seen := e.lookup(n); seen {
			continue // an alias: protojson writes the first name
		}
		quoted := appendString(nil, string(v.Name()))
		if n >= 0 && n < 64 {
			for int(n) >= len(e.dense) {
				e.dense = append(e.dense, nil)
			}
			e.dense[n] = quoted
			continue
		}
		if e.sparse == nil {
			e.sparse = map[int32][]byte{}
		}
		e.sparse[n] = quoted
	}
	return e
}

func (e *enumPlan) lookup(n int32) ([]byte, bool) {
	name := e.quotedName(n)
	return name, name != nil
}

func wellKnown(md protoreflect.MessageDescriptor) special {
	if md.ParentFile() == nil || md.ParentFile().Package() != "google.protobuf" {
		if isMessageSet(md) {
			return unsupportedMessage
		}
		return plainMessage
	}
	switch md.Name() {
	case "Timestamp":
		return timestampMessage
	case "Duration":
		return durationMessage
	case "BoolValue", "Int32Value", "Int64Value", "UInt32Value", "UInt64Value",
		"FloatValue", "DoubleValue", "StringValue", "BytesValue":
		return wrapperMessage
	case "Any", "Struct", "Value", "ListValue", "FieldMask":
		return unsupportedMessage
	}
	return plainMessage
}

// isMessageSet reports a proto1 MessageSet, which protojson refuses.
func isMessageSet(md protoreflect.MessageDescriptor) bool {
	if md.Options() == nil {
		return false
	}
	options := md.Options().ProtoReflect()
	if !options.IsValid() {
		return false // no options set
	}
	field := options.Descriptor().Fields().ByName("message_set_wire_format")
	return field != nil && options.Get(field).Bool()
}
